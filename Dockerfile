FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir . && rm -rf build *.egg-info
COPY . .
RUN SECRET_KEY=build-only DEBUG=0 python manage.py collectstatic --noinput
# /data/private: photos, attachments, exports. /anchors: the daily access-log anchor (beat only, its own volume).
RUN useradd --system --uid 1000 app && mkdir -p /data/private /anchors \
    && chown app /data/private /anchors && chmod 0700 /data/private
USER app
EXPOSE 8000
# docker-compose.yml puts a TLS-terminating proxy in front; gunicorn itself is never published.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
