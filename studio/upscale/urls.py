from django.urls import path

from studio.jobs.views import module_page, module_start

from . import views

urlpatterns = [
    path("upscale/", module_start, {"module": "upscale"}, name="upscale_start"),
    path("upscale/<uuid:asset_id>/", module_page, {"module": "upscale"}, name="upscale"),
    path("upscale/<uuid:asset_id>/plan/", views.upscale_plan, name="upscale_plan"),
]
