// The contact form's draft (outreach case page): kept in this tab's sessionStorage while typing, restored
// on load, dropped only when the server confirms the save (the "contactSaved" event from HX-Trigger).
// When the session has ended, an htmx save lands on the login page: instead of swapping it into the form,
// the browser goes to the login with ?next= back to the case, and the draft is restored after login.
(() => {
  const FORM_ID = "contact-form";
  const SKIP = new Set(["csrfmiddlewaretoken", "version"]);

  const store = (() => {
    try {
      const probe = "__contact_draft_probe__";
      window.sessionStorage.setItem(probe, "1");
      window.sessionStorage.removeItem(probe);
      return window.sessionStorage;
    } catch {
      return null; // storage disabled: the form still works, without a draft
    }
  })();

  const contactForm = () => document.getElementById(FORM_ID);

  function fields(form) {
    return Array.from(form.elements).filter((el) => el.name && !SKIP.has(el.name) && el.type !== "submit");
  }

  function save(form) {
    if (!store || !form.dataset.draftKey) return;
    const draft = {};
    for (const el of fields(form)) {
      if (el.type === "radio") {
        if (el.checked) draft[el.name] = el.value;
      } else if (el.type === "checkbox") {
        draft[el.name] = el.checked;
      } else if (el.tagName === "SELECT" && el.multiple) {
        draft[el.name] = Array.from(el.selectedOptions, (option) => option.value);
      } else {
        draft[el.name] = el.value;
      }
    }
    store.setItem(form.dataset.draftKey, JSON.stringify(draft));
  }

  function restore(form) {
    if (!store || !form.dataset.draftKey) return;
    const raw = store.getItem(form.dataset.draftKey);
    if (!raw) return;
    let draft;
    try {
      draft = JSON.parse(raw);
    } catch {
      store.removeItem(form.dataset.draftKey);
      return;
    }
    for (const el of fields(form)) {
      if (!(el.name in draft)) continue;
      const value = draft[el.name];
      if (el.type === "radio") {
        el.checked = el.value === value;
      } else if (el.type === "checkbox") {
        el.checked = Boolean(value);
      } else if (el.tagName === "SELECT" && el.multiple) {
        for (const option of el.options) option.selected = Array.isArray(value) && value.includes(option.value);
      } else {
        el.value = value;
      }
    }
    const notice = form.querySelector("[data-draft-notice]");
    if (notice) notice.hidden = false;
  }

  function clear(form) {
    if (store && form && form.dataset.draftKey) store.removeItem(form.dataset.draftKey);
  }

  function loginRedirect(form) {
    const next = form.dataset.caseUrl + "#contacts";
    window.location.assign(form.dataset.loginPath + "?next=" + encodeURIComponent(next));
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = contactForm();
    if (form) restore(form);
  });

  // Every keystroke and choice is kept (the form is replaced after each save, so listen on the document).
  for (const type of ["input", "change"]) {
    document.addEventListener(type, (event) => {
      const form = event.target.closest && event.target.closest("#" + FORM_ID);
      if (form) save(form);
    });
  }

  // Ctrl+Enter (or Cmd+Enter) in the note saves; Enter in a one-line field saves by itself.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    const target = event.target;
    if (!target.matches || !target.matches("#" + FORM_ID + " textarea")) return;
    event.preventDefault();
    target.form.requestSubmit();
  });

  // The server confirmed the save: the draft goes.
  document.addEventListener("contactSaved", () => clear(contactForm()));

  // The session ended: the save was redirected to the login page. Keep the draft, go to the login.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const form = contactForm();
    const xhr = event.detail.xhr;
    if (!form || !xhr || !xhr.responseURL || event.detail.elt !== form) return;
    const path = new URL(xhr.responseURL, window.location.href).pathname;
    if (path === form.dataset.loginPath) {
      save(form);
      event.detail.shouldSwap = false;
      loginRedirect(form);
    }
  });
  // A network failure or a server error: nothing is swapped, the draft stays; say so.
  document.addEventListener("htmx:responseError", (event) => {
    const form = contactForm();
    if (form && event.detail.elt === form) {
      const status = document.getElementById("contact-status");
      if (status) {
        status.textContent = form.dataset.errorMessage || "";
        status.className = "alert alert-danger";
      }
    }
  });
})();
