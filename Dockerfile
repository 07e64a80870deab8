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
ENV AGORA_DATA_DIR=/data
USER 1000
ENTRYPOINT ["agora"]
