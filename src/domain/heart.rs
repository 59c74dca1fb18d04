//! The five H.E.A.R.T. values every shout-out carries.

use serde::Serialize;
use utoipa::ToSchema;

use super::enums::pg_enum;

pg_enum! {
    /// One of the five H.E.A.R.T. values, by code.
    HeartValue => crate::schema::sql_types::HeartValue {
        HelpingOthers = "helping_others",
        ExceedingExpectations = "exceeding_expectations",
        AchievingGoals = "achieving_goals",
        RespondingWithCare = "responding_with_care",
        ThrivingThroughTeamwork = "thriving_through_teamwork",
    }
}

impl HeartValue {
    pub fn letter(self) -> char {
        match self {
            Self::HelpingOthers => 'H',
            Self::ExceedingExpectations => 'E',
            Self::AchievingGoals => 'A',
            Self::RespondingWithCare => 'R',
            Self::ThrivingThroughTeamwork => 'T',
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::HelpingOthers => "Helping others",
            Self::ExceedingExpectations => "Exceeding expectations",
            Self::AchievingGoals => "Achieving goals",
            Self::RespondingWithCare => "Responding with care",
            Self::ThrivingThroughTeamwork => "Thriving through teamwork",
        }
    }

    /// What the value means, in plain words, for pickers and the customer form.
    pub fn description(self) -> &'static str {
        match self {
            Self::HelpingOthers => "Went out of their way to help a colleague or a customer.",
            Self::ExceedingExpectations => "Did more, or did it better, than anyone asked.",
            Self::AchievingGoals => "Delivered a result that mattered, on time.",
            Self::RespondingWithCare => "Listened, understood and answered with kindness.",
            Self::ThrivingThroughTeamwork => "Made the team stronger by working together.",
        }
    }
}

/// A H.E.A.R.T. value as `GET /api/v1/values` lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeartValueInfo {
    pub code: HeartValue,
    #[schema(example = "H")]
    pub letter: String,
    #[schema(example = "Helping others")]
    pub label: &'static str,
    pub description: &'static str,
}

impl From<HeartValue> for HeartValueInfo {
    fn from(value: HeartValue) -> Self {
        Self {
            code: value,
            letter: value.letter().to_string(),
            label: value.label(),
            description: value.description(),
        }
    }
}
