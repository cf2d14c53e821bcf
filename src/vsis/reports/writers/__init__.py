"""Writers of the VR reports: xlsx, ods and json, all fed the same rows.

Each writer is opened on a report spec, receives the rows one by one
(`write_row`) and is closed with the report's chart (`close`); none keeps the
rows it has written.
"""
