# One image for the web server, the Celery worker and beat, and the demo simulator.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY accounts ./accounts
COPY common ./common
COPY config ./config
COPY fleet ./fleet
COPY monitoring ./monitoring
COPY overview ./overview
COPY devices ./devices
COPY profiles ./profiles
COPY operations ./operations
COPY controlapi ./controlapi
COPY simulator ./simulator
RUN pip install --no-cache-dir .
COPY manage.py ./
COPY templates ./templates
COPY static ./static
RUN DEBUG=0 SECRET_KEY=build-only python manage.py collectstatic --noinput
RUN useradd --system --home /app dashboard && chown -R dashboard /app
USER dashboard
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4", "--threads", "2"]
