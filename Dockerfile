# syntax=docker/dockerfile:1
# One image for web, worker, beat and the one-shot migrate service (see docker-compose.yml).
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# gettext: compilemessages at build. pango/harfbuzz/jpeg/fonts: WeasyPrint PDFs.
# make + nodejs/npm: `make static` at build (node_modules is removed again afterwards).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        gettext \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libjpeg62-turbo fonts-dejavu-core \
        make nodejs npm \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home app
WORKDIR /app

COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && touch node_modules/.installed

COPY . .

# Settings refuse to load with DEBUG off and no SECRET_KEY: a throwaway key for build-time commands.
RUN make static \
 && rm -rf node_modules \
 && DEBUG=false SECRET_KEY=build-only-not-a-secret python manage.py compilemessages --ignore=node_modules \
 && DEBUG=false SECRET_KEY=build-only-not-a-secret python manage.py collectstatic --noinput \
 && mkdir -p /app/var/media \
 && chown -R app:app /app/var

USER app
EXPOSE 8000
CMD ["gunicorn", "gvi.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--forwarded-allow-ips=*", "--access-logfile", "-"]
