FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY adapter ./adapter
COPY mappings ./mappings
RUN pip install --no-cache-dir -c constraints.txt . && useradd -u 1001 adapter
USER adapter
EXPOSE 8080
CMD ["pleo-export-adapter", "serve", "--host", "0.0.0.0", "--port", "8080"]
