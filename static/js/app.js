// Our own behaviour, loaded with defer; no inline scripts (the CSP forbids them).
document.addEventListener("DOMContentLoaded", () => {
  // The language selector submits itself; the button stays for keyboard and no-JS users.
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  // Destructive buttons ask first.
  for (const button of document.querySelectorAll("[data-confirm]")) {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  }
});
