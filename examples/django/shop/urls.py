from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("products/<int:pk>/", views.product, name="product"),
    path("api/status/", views.api_status, name="api-status"),
    path("boom/", views.boom, name="boom"),
    path("ht/", include("health_check.urls")),
    path("admin/", admin.site.urls),
]
