from django.urls import path

from vsis.web.views import placeholder

app_name = "returns"

urlpatterns = [
    path("", placeholder("全國推動志願服務業務成果統計表"), name="index"),
    path("board/", placeholder("填報狀態查詢"), name="board"),
]
