"""The service categories the system starts with (DOMAIN.md §2)."""

INITIAL_CATEGORIES = (
    "衛生福利", "教育", "環境保護", "文化", "交通", "警政", "消防", "體育", "農業",
    "財稅", "民政", "地政", "勞動", "原住民族", "客家", "經濟", "科學", "國防",
    "法務", "外交", "海洋", "其他",
)  # fmt: skip
