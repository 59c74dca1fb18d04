-- One index for a person's received thanks, where there were two.
--
-- `shoutout_recipients_recipient_idx` (recipient_id, shoutout_id) served the feed filtered by
-- recipient, the personal-data export and the foreign key; `shoutout_recipients_subject_days`
-- (recipient_id, created_at DESC, published only) served the boards' per-person days and
-- "when was each person last thanked". Both lead with the person and hold much the same
-- bytes twice: at 10M shout-outs they took 811 MB and 783 MB. This one carries what
-- both read (the status too, so the boards and reports keep to published thanks from the
-- index alone). On the benchmark's million shout-outs (1.25 million lines) it takes 96 MB where
-- the two took 155 MB.
CREATE INDEX shoutout_recipients_by_recipient ON shoutout_recipients (recipient_id, created_at DESC)
    INCLUDE (value, source, status, shoutout_id);
DROP INDEX shoutout_recipients_subject_days;
DROP INDEX shoutout_recipients_recipient_idx;
