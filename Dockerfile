# claims-api image: migrations are applied at start, then gunicorn serves on :8000.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system claims \
    && useradd --system --gid claims --home-dir /app --no-create-home --shell /usr/sbin/nologin claims

WORKDIR /app

COPY pyproject.toml README.md alembic.ini ./
COPY claims_api/ claims_api/
COPY migrations/ migrations/
COPY seeds/ seeds/

# Editable install: the CLI finds migrations/ and seeds/ beside the package in /app.
RUN pip install --no-cache-dir -e .
# The spool of asynchronous imports (a volume shared with the worker in docker-compose);
# made here so that a fresh named volume is created owned by the claims user.
RUN mkdir -p /var/lib/claims-api/imports && chown claims:claims /var/lib/claims-api/imports

USER claims

EXPOSE 8000

# No curl in the slim image; urlopen raises on a 503 from /health, which fails the check.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]

# A failed migration stops the container instead of serving an old schema;
# exec makes gunicorn PID 1 so it receives docker's SIGTERM.
CMD ["sh", "-c", "claims-api db upgrade && exec claims-api serve --host 0.0.0.0 --port 8000"]
