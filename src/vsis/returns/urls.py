from django.urls import path

from vsis.returns import views

app_name = "returns"

urlpatterns = [
    path("", views.index, name="index"),
    path("board/", views.board, name="board"),
    path("board/changes/", views.board_changes, name="board_changes"),
    path("board/unlock/", views.unlock, name="unlock"),
    path("board/backlog/", views.backlog, name="backlog"),
    path("board/export.<str:fmt>", views.board_export, name="board_export"),
    path("<str:code>/<int:year>/", views.detail, name="detail"),
    path("<str:code>/<int:year>/history/", views.history, name="history"),
    path(
        "<str:code>/<int:year>/submissions/<int:number>/",
        views.submission,
        name="submission",
    ),
    path("<str:code>/<int:year>/export.<str:fmt>", views.export, name="export"),
]
