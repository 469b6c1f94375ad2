//! The ECR lifecycle policy that caps storage cost: untagged images expire
//! after a day, and only the newest N images are kept.

use serde_json::json;

/// The policy text for a repository (canonical JSON, as sent to ECR).
pub fn lifecycle_policy(keep_images: u32) -> String {
    let policy = json!({
        "rules": [
            {
                "rulePriority": 1,
                "description": "Expire untagged images 1 day after push",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 1
                },
                "action": { "type": "expire" }
            },
            {
                "rulePriority": 2,
                "description": format!("Keep only the newest {keep_images} images"),
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": keep_images
                },
                "action": { "type": "expire" }
            }
        ]
    });
    serde_json::to_string(&policy).expect("policy serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untagged_expire_after_a_day_and_the_newest_n_are_kept() {
        let policy: serde_json::Value = serde_json::from_str(&lifecycle_policy(10)).unwrap();
        let rules = policy["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0]["selection"]["tagStatus"], "untagged");
        assert_eq!(rules[0]["selection"]["countType"], "sinceImagePushed");
        assert_eq!(rules[0]["selection"]["countNumber"], 1);
        // ECR requires the "any" rule to have the highest priority number.
        assert_eq!(rules[1]["rulePriority"], 2);
        assert_eq!(rules[1]["selection"]["tagStatus"], "any");
        assert_eq!(rules[1]["selection"]["countType"], "imageCountMoreThan");
        assert_eq!(rules[1]["selection"]["countNumber"], 10);
        assert_ne!(lifecycle_policy(10), lifecycle_policy(3));
    }
}
