from django.urls import path

from studio.jobs.views import module_page, module_start

urlpatterns = [
    path("transform/", module_start, {"module": "transform"}, name="transform_start"),
    path("transform/<uuid:asset_id>/", module_page, {"module": "transform"}, name="transform"),
]
