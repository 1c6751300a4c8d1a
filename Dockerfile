# crmsync: the long-lived sync worker. Build: docker build -t crmsync .
# Run:   docker run -v crmsync-data:/data -v $PWD/tenants:/etc/crmsync:ro -p 8080:8080 crmsync
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CRMSYNC_CONFIG=/etc/crmsync \
    CRMSYNC_DATABASE_URL=sqlite:////data/crmsync.db \
    CRMSYNC_HTTP_PORT=8080

WORKDIR /app
COPY pyproject.toml README.md ./
COPY config ./config
COPY connectors ./connectors
COPY scoring ./scoring
COPY sync ./sync
COPY sandbox ./sandbox
RUN pip install '.[postgres]' \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin crmsync \
 && mkdir -p /data /etc/crmsync \
 && chown crmsync /data

USER crmsync
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import os,urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('CRMSYNC_HTTP_PORT', '8080'), timeout=4)" || exit 1

ENTRYPOINT ["crmsync"]
CMD ["run"]
