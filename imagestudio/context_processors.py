from django.conf import settings


def studio(request):
    return {"PROVIDERS_DEMO": settings.PROVIDERS_DEMO}
