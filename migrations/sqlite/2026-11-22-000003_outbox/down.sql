DROP TABLE wave_reminders;
DROP TABLE wave_schedules;
DROP TABLE wave_mail_counts;
DROP TABLE outbox;
