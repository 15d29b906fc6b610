/* The dashboard's words in Chinese (the default) and English; the choice is remembered.
   Elements say what they show with data-i18n (text) or data-i18n-aria (aria-label). */
"use strict";

(function () {
  const WORDS = {
    zh: {
      title: "沈阳城市运行决策支持",
      nav_label: "视图",
      nav_dashboard: "指标看板",
      nav_ops: "运行与应急",
      login_title: "请输入 API 密钥",
      login_help: "领导和运行值班人员的 API 密钥仅保存在本浏览器标签页中，关闭即清除。",
      api_key: "API 密钥",
      enter: "进入",
      refresh: "立即刷新",
      logout: "退出",
      key_missing: "请输入 API 密钥。",
      key_refused: "密钥无效或已被吊销，请重新输入。",
      key_forbidden: "此密钥无权查看城市总体指标（需要领导或运行值班角色）。",
      load_failed: "数据读取失败：{reason}",
      updated: "数据更新时间：{time}",
      unavailable: "暂不可用（{source}）：{reason}",
      no_data: "暂无数据",
      data_table: "数据表",
      ops_help: "实时告警：超期事项、无消费者的服务、死信。每 30 秒自动刷新。",
      alerts: "告警",
      no_alerts: "当前没有告警。",
      services: "服务状态",
      services_caption: "各服务的实例、队列与死信",
      col_service: "服务",
      col_status: "状态",
      col_instances: "实例数",
      col_queue: "事件队列积压",
      col_outbox: "发件箱积压",
      col_dead: "死信",
      status_ok: "正常",
      status_down: "停止",
      ops_unavailable: "运行总览暂不可用：{reason}",
      alert_service_down: "服务停止",
      alert_no_consumers: "服务无消费者",
      alert_dead_letters: "死信",
      alert_outbox_backlog: "发件箱积压",
      alert_overdue_applications: "超期未办结的申请",
      alert_overdue_consultations: "超期未答复的会诊",
      alert_indicator_unavailable: "指标不可用",
      overdue_applications_detail: "{title}（{department}）：{count} 件超期",
      overdue_consultations_detail: "{urgency}：{count} 例超期",
      // charts
      chart_time_limits: "申请按时办结率（按事项）",
      chart_parking: "各区停车场占用率",
      chart_consultations: "远程会诊积压（按紧急程度）",
      chart_tickets: "近 7 天门票销售",
      chart_venues: "今日场馆负荷（前 10）",
      chart_credit: "近 30 天红黑名单变化",
      chart_events: "近 24 小时事件吞吐（按来源）",
      chart_dead_letters: "各服务死信数",
      unit_percent: "百分比 (%)",
      unit_count: "数量（件）",
      unit_tickets: "数量（张/人）",
      unit_events: "事件数（每小时）",
      unit_entries: "名单条目数",
      unit_messages: "消息数（条）",
      series_within_rate: "按时办结率 (%)",
      series_occupancy: "占用率 (%)",
      series_open: "未超期",
      series_overdue: "已超期",
      series_tickets: "门票（张）",
      series_visitors: "游客（人）",
      series_load: "预订/容量 (%)",
      series_black_added: "列入黑名单",
      series_black_removed: "移出黑名单",
      series_red_added: "列入红名单",
      series_red_removed: "移出红名单",
      series_dead_letters: "死信（条）",
      col_affair: "事项",
      col_department: "部门",
      col_decided: "已办结",
      col_within: "按时办结",
      col_open: "在办",
      col_open_overdue: "在办超期",
      col_rate: "按时率 (%)",
      col_district: "区",
      col_lots: "停车场数",
      col_capacity: "车位",
      col_occupied: "已占用",
      col_urgency: "紧急程度",
      col_date: "日期",
      col_hour: "时段（UTC）",
      col_venue: "场馆",
      col_booked: "今日已订",
      col_present: "馆内人数",
      urgency_emergency: "急诊",
      urgency_urgent: "加急",
      urgency_routine: "常规",
    },
    en: {
      title: "Shenyang city operations: decision support",
      nav_label: "Views",
      nav_dashboard: "Indicators",
      nav_ops: "Operations and emergency",
      login_title: "Enter your API key",
      login_help:
        "Leaders' and operators' API keys are kept in this browser tab only and cleared when it closes.",
      api_key: "API key",
      enter: "Enter",
      refresh: "Refresh now",
      logout: "Log out",
      key_missing: "Please enter an API key.",
      key_refused: "The key is not valid or was revoked; please enter it again.",
      key_forbidden: "This key may not read city indicators (leadership or operator role needed).",
      load_failed: "Could not read the data: {reason}",
      updated: "Data as of {time}",
      unavailable: "Unavailable ({source}): {reason}",
      no_data: "No data yet",
      data_table: "Data table",
      ops_help: "Live alerts: overdue items, services without consumers, dead letters. Refreshed every 30 s.",
      alerts: "Alerts",
      no_alerts: "No alerts right now.",
      services: "Services",
      services_caption: "Instances, queues and dead letters of each service",
      col_service: "Service",
      col_status: "Status",
      col_instances: "Instances",
      col_queue: "Event queue depth",
      col_outbox: "Outbox backlog",
      col_dead: "Dead letters",
      status_ok: "running",
      status_down: "down",
      ops_unavailable: "Operations overview unavailable: {reason}",
      alert_service_down: "Service down",
      alert_no_consumers: "Service without consumers",
      alert_dead_letters: "Dead letters",
      alert_outbox_backlog: "Outbox backlog",
      alert_overdue_applications: "Overdue applications",
      alert_overdue_consultations: "Overdue consultations",
      alert_indicator_unavailable: "Indicator unavailable",
      overdue_applications_detail: "{title} ({department}): {count} overdue",
      overdue_consultations_detail: "{urgency}: {count} overdue",
      chart_time_limits: "Applications decided within their time limit, per affair",
      chart_parking: "Parking occupancy by district",
      chart_consultations: "Remote consultation backlog by urgency",
      chart_tickets: "Tickets sold, last 7 days",
      chart_venues: "Venue load today (top 10)",
      chart_credit: "Red and black list changes, last 30 days",
      chart_events: "Event throughput by source, last 24 hours",
      chart_dead_letters: "Dead letters per service",
      unit_percent: "Percent (%)",
      unit_count: "Count",
      unit_tickets: "Tickets / visitors",
      unit_events: "Events per hour",
      unit_entries: "List entries",
      unit_messages: "Messages",
      series_within_rate: "Within limit (%)",
      series_occupancy: "Occupancy (%)",
      series_open: "Open, in time",
      series_overdue: "Overdue",
      series_tickets: "Tickets",
      series_visitors: "Visitors",
      series_load: "Booked / capacity (%)",
      series_black_added: "Black list: added",
      series_black_removed: "Black list: removed",
      series_red_added: "Red list: added",
      series_red_removed: "Red list: removed",
      series_dead_letters: "Dead letters",
      col_affair: "Affair",
      col_department: "Department",
      col_decided: "Decided",
      col_within: "Within limit",
      col_open: "Open",
      col_open_overdue: "Open, overdue",
      col_rate: "Rate (%)",
      col_district: "District",
      col_lots: "Lots",
      col_capacity: "Spaces",
      col_occupied: "Occupied",
      col_urgency: "Urgency",
      col_date: "Date",
      col_hour: "Hour (UTC)",
      col_venue: "Venue",
      col_booked: "Booked today",
      col_present: "Inside now",
      urgency_emergency: "Emergency",
      urgency_urgent: "Urgent",
      urgency_routine: "Routine",
    },
  };
  const STORE = "leaders.lang";
  const listeners = [];
  let lang = localStorage.getItem(STORE) === "en" ? "en" : "zh";

  function t(key, params) {
    const text = WORDS[lang][key] ?? WORDS.zh[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name) => String(params?.[name] ?? ""));
  }

  function apply(root) {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.title = t("title");
    for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of root.querySelectorAll("[data-i18n-aria]")) {
      el.setAttribute("aria-label", t(el.dataset.i18nAria));
    }
    const toggle = document.getElementById("lang-toggle");
    if (toggle) {
      toggle.textContent = lang === "zh" ? "English" : "中文";
      toggle.lang = lang === "zh" ? "en" : "zh-CN";
    }
  }

  function set(next) {
    lang = next;
    localStorage.setItem(STORE, lang);
    apply(document);
    for (const listener of listeners) listener(lang);
  }

  window.LeadersI18n = {
    t,
    apply,
    get lang() {
      return lang;
    },
    locale: () => (lang === "zh" ? "zh-CN" : "en-GB"),
    toggle: () => set(lang === "zh" ? "en" : "zh"),
    onChange: (listener) => listeners.push(listener),
  };
})();
