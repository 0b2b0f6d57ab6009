from django.contrib import admin

from .models import PromptTemplate, Video, VideoJob, WorkerHeartbeat


@admin.register(VideoJob)
class VideoJobAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "status", "progress", "created_at", "finished_at")
    list_filter = ("status",)
    search_fields = ("prompt",)
    list_select_related = ("owner",)
    readonly_fields = [f.name for f in VideoJob._meta.fields]


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "width", "height", "frames", "size_bytes", "created_at")
    list_select_related = ("owner",)


@admin.register(PromptTemplate)
class PromptTemplateAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "is_active", "updated_at")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "device", "model", "model_loaded", "current_job", "last_seen")
