from django.urls import path

from vsis.web.views import placeholder

app_name = "imports"

urlpatterns = [
    path("", placeholder("資料匯入"), name="upload"),
]
