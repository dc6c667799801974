# The proxy (and, with another command, the sandbox) as a container image.
#
# Pinned by exact version rather than digest: this repository is built and tested where no
# registry can be asked for the digest. Where one can, pin it as well:
#   docker buildx imagetools inspect python:3.11.7-slim-bookworm  ->  ...@sha256:<digest>
ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

# --- builder: a virtualenv with the pinned dependencies, then the project on top ---------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies only: this layer is rebuilt when pyproject.toml or the pins change, not when
# the code does.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && pip install -c constraints.txt -r requirements.txt
COPY README.md ./
COPY mappings ./mappings
COPY adapter ./adapter
RUN pip install --no-deps .

# --- runtime: the virtualenv alone, run by an unprivileged user -------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin adapter
COPY --from=builder /opt/venv /opt/venv
USER 10001:10001
EXPOSE 8080
# Ready, not merely alive: /readyz checks the store and that Pleo's Export API answers.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/readyz', timeout=2)"]
CMD ["pleo-export-adapter", "serve", "--host", "0.0.0.0", "--port", "8080"]
