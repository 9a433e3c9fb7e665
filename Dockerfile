# firegate API image for Cloud Run (and docker-compose.yml for local runs).
#
#   docker build -t firegate .
#
# The production profile (the default here) refuses to start without GOOGLE_CLOUD_PROJECT and
# JWT_SECRET (or JWT_PRIVATE_KEY), or with any *_EMULATOR_HOST variable set, and needs Google
# credentials: on Cloud Run those of the service's service account; elsewhere mount a key and
# set GOOGLE_APPLICATION_CREDENTIALS. Every variable is listed in .env.example.

# ---- builder: runtime dependencies only (no dev tools), in a self-contained venv ----------
FROM python:3.13-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"

# Every pinned dependency ships manylinux wheels (x86_64 and aarch64): no compiler needed.
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt

# ---- runtime -------------------------------------------------------------------------------
FROM python:3.13-slim AS runtime

# MALLOC_ARENA_MAX: a malloc arena per thread, so that an argon2 thread's freed 19 MiB block
# is not kept a second time in an arena it shares (docs/decisions/0004-malloc-arenas.md).
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MALLOC_ARENA_MAX=64 \
    PATH="/opt/venv/bin:$PATH" \
    APP_PROFILE=production \
    PORT=8080 \
    TRUSTED_PROXY_HOPS=1

# SAML single sign-on's signatures are checked in process by python-xmlsec's wheel (libxmlsec1
# linked in): no xmlsec1 program (docs/decisions/0399-saml-signatures-in-process.md).

RUN groupadd --system --gid 10001 firegate \
    && useradd --system --uid 10001 --gid firegate --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin firegate

WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY gunicorn.conf.py ./
COPY src/ ./src/
# Bytecode compiled at build time: faster cold starts, nothing written at run time.
RUN python -m compileall -q src \
    && for catalogue in src/interfaces/web/translations src/interfaces/web/*/translations; do \
        pybabel compile -d "$catalogue" || exit 1; done

USER 10001:10001
EXPOSE 8080

# Exec form: gunicorn is PID 1 and gets Cloud Run's SIGTERM itself (graceful_timeout 8 s).
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
