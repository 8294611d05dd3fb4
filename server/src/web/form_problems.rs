//! A form's problems, each next to its field and listed in the summary at the top of the
//! page. The domain words a problem `tag: what is wrong` (`email: is required`, the tag
//! being the field's name, or a CLI option's); a page ties it to its field's id and words it
//! with the field's label (`Email: is required`).

/// A problem with what was sent: the id of its field, or empty when it is about no single
/// field, and the message as the page shows it.
pub struct Problem {
    pub field: &'static str,
    pub message: String,
}

/// A form's field as problems name it: (the domain's tag, the field's id, its label). An
/// empty id places the problem in the summary only.
pub type Field = (&'static str, &'static str, &'static str);

/// The domain's problems tied to `fields`; a problem naming no known field is kept as it is.
pub fn placed(problems: Vec<String>, fields: &[Field]) -> Vec<Problem> {
    problems
        .into_iter()
        .map(|p| {
            let found = p.split_once(": ").and_then(|(tag, rest)| {
                let tag = tag.trim_start_matches('-');
                fields
                    .iter()
                    .find(|(t, _, _)| *t == tag)
                    .map(|(_, id, label)| Problem {
                        field: id,
                        message: format!("{label}: {rest}"),
                    })
            });
            found.unwrap_or(Problem {
                field: "",
                message: p,
            })
        })
        .collect()
}

/// The problem about `field` in `problems`.
pub fn problem_for<'a>(problems: &'a [Problem], field: &str) -> Option<&'a str> {
    problems
        .iter()
        .find(|p| !field.is_empty() && p.field == field)
        .map(|p| p.message.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_worded_with_labels_and_tied_to_their_fields() {
        let fields: [Field; 3] = [
            ("title", "title", "Action"),
            ("min-group-size", "k", "Minimum group size (k)"),
            ("status", "", "Status"),
        ];
        let placed = placed(
            vec![
                "title: is required".into(),
                "--min-group-size: 2 is refused".into(),
                "status: unknown status \"y\"".into(),
                "something else".into(),
            ],
            &fields,
        );
        let seen: Vec<(&str, &str)> = placed
            .iter()
            .map(|p| (p.field, p.message.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("title", "Action: is required"),
                ("k", "Minimum group size (k): 2 is refused"),
                ("", "Status: unknown status \"y\""),
                ("", "something else"),
            ]
        );
        assert_eq!(
            problem_for(&placed, "k"),
            Some("Minimum group size (k): 2 is refused")
        );
        assert_eq!(problem_for(&placed, ""), None);
    }
}
