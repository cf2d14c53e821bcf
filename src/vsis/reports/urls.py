from django.urls import path

from vsis.web.views import placeholder

app_name = "reports"

urlpatterns = [
    path("age/", placeholder("志工年齡分布表"), name="age"),
    path("service/", placeholder("志工服務成果表"), name="service"),
]
