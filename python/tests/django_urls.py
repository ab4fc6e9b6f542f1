from django.urls import include, path

urlpatterns = [path("", include("django_health_exporter.urls"))]
