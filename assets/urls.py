from django.urls import path

from . import views

app_name = "assets"
urlpatterns = [
    path("", views.library, name="library"),
    path("upload/", views.upload, name="upload"),
    path("<uuid:asset_id>/", views.detail, name="detail"),
    path("<uuid:asset_id>/file/", views.file, name="file"),
    path("<uuid:asset_id>/thumb/", views.thumbnail, name="thumbnail"),
]
