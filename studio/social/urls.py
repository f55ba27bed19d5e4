from django.urls import path

from . import views

urlpatterns = [
    path("social/", views.social_start, name="social_start"),
    path("social/<uuid:asset_id>/", views.social, name="social"),
]
