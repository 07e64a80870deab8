# One image for every Agora process; the command picks the role.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY agora agora
COPY contracts contracts
COPY agents agents
COPY features features
COPY models models
COPY serving serving
COPY core core
RUN pip install --no-cache-dir .
# The image's user owns /data: a named volume mounted on /data/lake starts as a copy of this
# folder (owner included), so the workers' spool and the trainer can write to it.
RUN groupadd --gid 1000 agora \
 && useradd --uid 1000 --gid agora --home-dir /data --no-create-home --shell /usr/sbin/nologin agora \
 && mkdir -p /data/lake /data/health \
 && chown -R agora:agora /data
ENV AGORA_DATA_DIR=/data
USER agora
ENTRYPOINT ["agora"]
