from pathlib import PurePath

from django import forms
from django.core.files.uploadedfile import UploadedFile

from vsis.imports.models import ImportKind
from vsis.imports.reading import SUFFIXES
from vsis.imports.services import MAX_IMPORT_BYTES


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="檔案種類",
        choices=ImportKind.choices,
        error_messages={
            "required": "請選擇檔案種類",
            "invalid_choice": "未知的檔案種類",
        },
    )
    file = forms.FileField(
        label="檔案",
        help_text="Excel（.xlsx、.xls）、ODS（.ods）或 CSV（UTF-8 或 Big5）",
        error_messages={
            "required": "請選擇要上傳的檔案",
            "empty": "檔案是空的",
            "invalid": "無法讀取上傳的檔案",
            "missing": "請選擇要上傳的檔案",
        },
    )
    dry_run = forms.BooleanField(
        label="僅檢查，不寫入（試算）",
        required=False,
        help_text="檢查每一列並算出將新增、更新的筆數，但不寫入任何資料",
    )
    correct_people = forms.BooleanField(
        label="更正個人資料",
        required=False,
        help_text="允許以檔案更正系統中已有志工的姓名、性別與出生日期",
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        suffix = PurePath(upload.name or "").suffix.lower()
        if suffix not in SUFFIXES:
            raise forms.ValidationError(
                "不支援的檔案類型，請上傳 .xlsx、.xls、.ods 或 .csv 檔"
            )
        if (upload.size or 0) > MAX_IMPORT_BYTES:
            limit = MAX_IMPORT_BYTES // (1024 * 1024)
            raise forms.ValidationError(f"檔案超過 {limit} MB 上限，請分批匯入")
        return upload
