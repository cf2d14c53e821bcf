"""What `vsis seed` loaded: the marker the benchmark checks before reusing a
database."""

from django.db import models


class SeedRun(models.Model):
    """One completed `vsis seed`: its scale, seed and size, and how long it took."""

    scale = models.CharField(max_length=16)
    seed = models.BigIntegerField()
    records = models.BigIntegerField()
    volunteers = models.PositiveIntegerField()
    teams = models.PositiveIntegerField()
    as_of = models.DateField(help_text="the day the data was generated for")
    seconds = models.FloatField(help_text="wall time of the load")
    version = models.PositiveSmallIntegerField(
        default=1, help_text="seed.generate.GENERATOR_VERSION of the rows"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "示範資料載入"
        verbose_name_plural = "示範資料載入"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.scale} seed={self.seed} records={self.records}"
