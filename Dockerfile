FROM python:3.11-slim
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy PYTHONUNBUFFERED=1
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project
COPY desk ./desk
RUN uv sync --locked --no-dev
ENV PATH="/app/.venv/bin:$PATH" DESK_HOST=0.0.0.0 DESK_HOME=/data
VOLUME ["/data"]
EXPOSE 8000
CMD ["desk", "serve"]
