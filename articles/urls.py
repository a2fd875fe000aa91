from django.urls import path

from . import views

app_name = "articles"

urlpatterns = [
    path("", views.front_page, name="front-page"),
    path("section/<slug:slug>/", views.section_detail, name="section-detail"),
    path("region/<slug:slug>/", views.region_detail, name="region-detail"),
    path("tag/<slug:slug>/", views.tag_detail, name="tag-detail"),
    path("author/<slug:slug>/", views.author_detail, name="author-detail"),
    path("video/", views.video_list, name="video-list"),
    path("news/<int:pk>/", views.article_redirect, name="article-short"),
    path("news/<int:pk>/<slug:slug>/", views.article_detail, name="article-detail"),
    path("preview/<int:pk>/", views.article_preview, name="article-preview"),
]
