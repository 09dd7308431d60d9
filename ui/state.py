"""Every session-state key and query-parameter name used by the app, declared once."""
from __future__ import annotations

# ---- sign-in (ui/auth.py)
PRINCIPAL = "auth_principal"  # the signed-in core.auth.Principal (refreshed from the users table each run)
LOGIN_USER = "auth_login_user"
LOGIN_PASSWORD = "auth_login_password"
LOGIN_SUBMIT = "auth_login_submit"
LOGIN_ERROR = "auth_login_error"
LOGIN_OIDC = "auth_login_oidc"
LOGOUT = "auth_logout"
SESSION_TOKEN = "auth_session_token"  # the signed cookie value of this sign-in (revoked at sign-out)
SET_COOKIE = "auth_set_cookie"  # a cookie value to give the browser on the next render
CLEAR_COOKIE = "auth_clear_cookie"  # the browser's session cookie is to be deleted (after sign-out)
AUTH_NOTICE = "auth_notice"  # a message for the login page (e.g. the account was locked meanwhile)
SCOPE_WARNING = "_scope_warning"  # set by the filters when a requested unit was outside the user's scope

# ---- shared filters (widgets rendered by app.py on every run, so they persist across pages)
UNIT = "flt_unit"
YEAR = "flt_year"
QUARTER = "flt_quarter"
PRESENT = "flt_present"
AS_OF = "flt_as_of"  # "số liệu tính đến ngày": the as-of date of every figure
URL_LOADED = "_url_loaded"  # set once per session after the URL was read into the widgets
PAGE_SYNCED = "_page_synced"  # set once the ?page= parameter has been honoured
CURRENT = "_current_filters"  # the Filters of this run, for the pages

# ---- query parameters (the shareable link)
QP_UNIT = "unit"
QP_YEAR = "year"
QP_QUARTER = "quarter"
QP_PAGE = "page"
QP_PRESENT = "present"
QP_AS_OF = "asof"

# ---- Tổng quan
OV_DETAIL = "ov_detail_indicator"
OV_TREND = "ov_trend_indicator"
OV_EXIT_PRESENT = "ov_exit_present"
PRESENT_PREV = "present_prev"  # presentation mode: the meeting's previous / next page
PRESENT_NEXT = "present_next"

# ---- Nộp báo cáo
UP_FILES = "up_files"
UP_ROUND = "up_round"  # bumped after a confirmed batch so the uploader starts empty
UP_CONFIRM = "up_confirm"
UP_CANCEL = "up_cancel"
UP_RESULTS = "up_results"  # results of the last confirmed batch
UP_NEW_UNIT = "up_new_unit_"  # + file digest: an administrator accepts the file's unknown unit as new
UP_ON_BEHALF = "up_on_behalf"  # "nộp thay cho": a note beside the signed-in account, never the uploader
UP_HISTORY_UNIT = "up_history_unit"
UP_MATRIX_YEAR = "up_matrix_year"

# ---- group pages
SH_DETAIL = "sh_detail_indicator"
DT_LEVEL = "dt_level"
DON_DETAIL = "don_detail"
TG_ELEMENT = "tg_element"
SS_INDICATOR = "ss_indicator"
SS_GROUP = "ss_group"

# ---- Tình hình đơn vị (what units write, the review report)
TH_SEARCH = "th_search"
TH_SECTION = "th_section"
TH_FLAGGED = "th_flagged"
TH_TABS = "th_tabs"

# ---- Đôn đốc & duyệt (the office's loop with the units)
DD_PERIOD = "dd_period"
DD_LOCK_REASON = "dd_lock_reason"
DD_LOCK = "dd_lock"
DD_UNLOCK_REASON = "dd_unlock_reason"
DD_UNLOCK = "dd_unlock"
DD_REMIND_UNITS = "dd_remind_units_"  # + period: one picker per period
DD_EMAIL = "dd_email"
DD_REMIND = "dd_remind"
DD_REMIND_RESULT = "dd_remind_result"  # the last round's ReminderOutcome (its .docx is offered for download)
DD_REPORT = "dd_report"
DD_COMMENT = "dd_comment"
DD_APPROVE = "dd_approve"
DD_APPROVE_ALL = "dd_approve_all"
DD_RETURN = "dd_return"
DD_RESULT = "dd_result"  # (succeeded, message) of the last review, lock or unlock
DD_APPROVED_ONLY = "dd_approved_only"

# ---- Đơn vị của tôi (the unit's own page)
DV_UNIT = "dv_unit"
DV_PERIOD = "dv_period"

# ---- Quản trị
AD_UNITS_FILE = "ad_units_file"
AD_UNITS_LOAD = "ad_units_load"
AD_UNITS_RESULT = "ad_units_result"
AD_UNITS_ERROR = "ad_units_error"
AD_T_INDICATOR = "ad_t_indicator"
AD_T_YEAR = "ad_t_year"
AD_T_OP = "ad_t_op"
AD_T_VALUE = "ad_t_value"
AD_T_MIN = "ad_t_min"
AD_T_MAX = "ad_t_max"
AD_T_BY = "ad_t_by"
AD_T_SAVE = "ad_t_save"
AD_T_MESSAGE = "ad_t_message"
AD_T_ERROR = "ad_t_error"
AD_U_NAME = "ad_u_name"  # user management (admin)
AD_U_FULL = "ad_u_full"
AD_U_ROLE = "ad_u_role"
AD_U_UNIT = "ad_u_unit"
AD_U_EMAIL = "ad_u_email"
AD_U_PASSWORD = "ad_u_password"
AD_U_ADD = "ad_u_add"
AD_U_PICK = "ad_u_pick"
AD_U_EDIT_ROLE = "ad_u_edit_role"
AD_U_EDIT_UNIT = "ad_u_edit_unit"
AD_U_EDIT_ACTIVE = "ad_u_edit_active"
AD_U_SAVE = "ad_u_save"
AD_U_NEW_PASSWORD = "ad_u_new_password"
AD_U_RESET = "ad_u_reset"
AD_U_MESSAGE = "ad_u_message"
AD_U_ERROR = "ad_u_error"
AD_BACKUP = "ad_backup"
AD_BACKUP_RESULT = "ad_backup_result"  # (succeeded, message) of the last "Sao lưu ngay"
AD_M_FROM = "ad_m_from"  # corrections: merge a unit into another
AD_M_INTO = "ad_m_into"
AD_M_REASON = "ad_m_reason"
AD_M_SURE = "ad_m_sure"
AD_M_GO = "ad_m_go"
AD_W_REPORT = "ad_w_report"  # corrections: withdraw a report
AD_W_REASON = "ad_w_reason"
AD_W_SURE = "ad_w_sure"
AD_W_GO = "ad_w_go"
AD_C_PICK = "ad_c_pick"  # corrections: undo one
AD_C_UNDO = "ad_c_undo"
AD_C_RESULT = "ad_c_result"  # (succeeded, message) of the last correction or undo
AD_CT_UNIT = "ad_ct_unit"  # a unit's contact (the office's reminders)
AD_CT_NAME = "ad_ct_name"
AD_CT_EMAIL = "ad_ct_email"
AD_CT_PHONE = "ad_ct_phone"
AD_CT_SAVE = "ad_ct_save"
AD_CT_RESULT = "ad_ct_result"  # (succeeded, message)

# ---- downloads (one key per button; built with download_key())
DL_PREFIX = "dl_"


def download_key(name: str) -> str:
    """The widget key of a download button named `name` (unique per page element)."""
    return f"{DL_PREFIX}{name}"
