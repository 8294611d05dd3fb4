//! The schema, kept by hand, in types both backends share (docs/architecture.md, storage).

diesel::table! {
    units (id) {
        id -> Text,
        parent_id -> Nullable<Text>,
        name -> Text,
        path -> Text,
    }
}

diesel::table! {
    people (id) {
        id -> Text,
        email -> Text,
        unit_id -> Text,
        attributes -> Text,
        name -> Nullable<Text>,
    }
}

diesel::table! {
    instruments (id) {
        id -> Text,
        instrument_id -> Text,
        version -> Integer,
        title -> Text,
        source -> Text,
    }
}

diesel::table! {
    waves (id) {
        id -> Text,
        name -> Text,
        instrument -> Text,
        opens_at -> Timestamp,
        closes_at -> Timestamp,
        min_group_size -> Integer,
        attributes -> Text,
        status -> Text,
        link_tag -> Text,
        comment_min -> Integer,
    }
}

diesel::table! {
    wave_units (id) {
        id -> Text,
        wave_id -> Text,
        parent_id -> Nullable<Text>,
        name -> Text,
        path -> Text,
        invited -> Integer,
    }
}

diesel::table! {
    invitations (id) {
        id -> Text,
        wave_id -> Text,
        person_id -> Nullable<Text>,
        unit_id -> Text,
        attributes -> Text,
        responded -> Bool,
    }
}

diesel::table! {
    invitation_tokens (token_hash) {
        token_hash -> Text,
        invitation_id -> Text,
        wave_id -> Text,
    }
}

diesel::table! {
    responses (id) {
        id -> Text,
        wave_id -> Text,
        unit_id -> Text,
        attributes -> Text,
    }
}

diesel::table! {
    comments (response_id, prompt_id) {
        response_id -> Text,
        prompt_id -> Text,
        body -> Text,
        review -> Text,
        concerns -> Text,
    }
}

diesel::table! {
    answers (response_id, item_id) {
        response_id -> Text,
        item_id -> Text,
        value -> Integer,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        role -> Text,
        unit_path -> Nullable<Text>,
        password_hash -> Text,
        created_at -> Timestamp,
        nudges -> Bool,
        sso_subject -> Nullable<Text>,
        break_glass -> Bool,
    }
}

diesel::table! {
    sso_logins (state_hash) {
        state_hash -> Text,
        nonce -> Text,
        pkce_verifier -> Text,
        next_path -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        user_id -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    api_tokens (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        name -> Text,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    user_invitations (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        detail -> Text,
    }
}

diesel::table! {
    action_items (id) {
        id -> Text,
        unit_path -> Text,
        area -> Text,
        title -> Text,
        owner -> Text,
        due_date -> Nullable<Date>,
        status -> Text,
        notes -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        created_wave_id -> Nullable<Text>,
    }
}

diesel::table! {
    server_secrets (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Text,
        email -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        wave_id -> Text,
        invitation_id -> Text,
        kind -> Text,
        recipient -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    notices (id) {
        id -> Text,
        kind -> Text,
        recipient -> Text,
        user_id -> Nullable<Text>,
        wave_id -> Nullable<Text>,
        unit_path -> Nullable<Text>,
        link_hash -> Nullable<Text>,
        state -> Text,
        attempts -> Integer,
        created_at -> Timestamp,
        next_attempt_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    wave_invited (wave_id, unit_id, attributes) {
        wave_id -> Text,
        unit_id -> Text,
        attributes -> Text,
        invited -> Integer,
    }
}

diesel::table! {
    wave_audits (wave_id) {
        wave_id -> Text,
        audited_at -> Timestamp,
        milliseconds -> Integer,
        measures -> Integer,
        breaches -> Nullable<Integer>,
        pinned_counts -> Integer,
        excused_counts -> Integer,
        narrow_means -> Integer,
        mean_exceptions -> Integer,
        alike_rests -> Integer,
    }
}

diesel::table! {
    wave_mail_counts (wave_id) {
        wave_id -> Text,
        sent -> Integer,
        failed -> Integer,
    }
}

diesel::table! {
    wave_schedules (wave_id) {
        wave_id -> Text,
        every -> Nullable<Text>,
        reminders -> Text,
    }
}

diesel::table! {
    wave_reminders (wave_id, due_at) {
        wave_id -> Text,
        due_at -> Timestamp,
        done -> Bool,
    }
}

diesel::joinable!(people -> units (unit_id));
diesel::joinable!(invitations -> waves (wave_id));
diesel::joinable!(invitations -> wave_units (unit_id));
diesel::joinable!(invitation_tokens -> invitations (invitation_id));
diesel::joinable!(wave_units -> waves (wave_id));
diesel::joinable!(waves -> instruments (instrument));

diesel::joinable!(outbox -> waves (wave_id));
diesel::joinable!(wave_audits -> waves (wave_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(comments -> responses (response_id));
diesel::joinable!(responses -> waves (wave_id));
diesel::joinable!(notices -> users (user_id));
diesel::joinable!(user_invitations -> users (user_id));
diesel::joinable!(outbox -> invitations (invitation_id));
diesel::joinable!(wave_schedules -> waves (wave_id));
diesel::joinable!(wave_reminders -> waves (wave_id));

diesel::allow_tables_to_appear_in_same_query!(
    units,
    people,
    instruments,
    waves,
    wave_units,
    invitations,
    invitation_tokens,
    responses,
    answers,
    users,
    sso_logins,
    comments,
    api_tokens,
    audit_log,
    action_items,
    server_secrets,
    login_failures,
    outbox,
    notices,
    wave_mail_counts,
    wave_invited,
    wave_audits,
    wave_schedules,
    wave_reminders,
    sessions,
    user_invitations,
);
