//! The Traffic Light Protocol: the marking definitions of TLP 1.0 (as STIX 2.1
//! defines them) and TLP 2.0 (as FIRST and OASIS publish them), and their order.

use std::fmt;

/// A TLP level, ordered from least to most restrictive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tlp {
    /// TLP:CLEAR (TLP 1.0 WHITE): no limit on disclosure.
    Clear,
    /// TLP:GREEN: the community, not the public.
    Green,
    /// TLP:AMBER: the recipient's organisation and its clients.
    Amber,
    /// TLP:AMBER+STRICT: the recipient's organisation only.
    AmberStrict,
    /// TLP:RED: the named recipients only.
    Red,
}

impl Tlp {
    /// Every level, least restrictive first.
    pub const ALL: [Tlp; 5] = [Tlp::Clear, Tlp::Green, Tlp::Amber, Tlp::AmberStrict, Tlp::Red];

    /// The TLP level a marking-definition id stands for, if it is one of the
    /// TLP 1.0 or TLP 2.0 marking definitions.
    pub fn from_marking_id(id: &str) -> Option<Tlp> {
        MARKINGS.iter().find(|m| m.id == id).map(|m| m.tlp)
    }

    /// The TLP 2.0 marking-definition id of this level.
    pub fn marking_id(self) -> &'static str {
        MARKINGS.iter().find(|m| m.tlp == self && m.v2).map(|m| m.id).unwrap_or_default()
    }

    /// The level's name as TLP 2.0 writes it, for example `amber+strict`.
    pub fn name(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::AmberStrict => "amber+strict",
            Tlp::Red => "red",
        }
    }

    /// Parses a level name (`clear`, `white`, `green`, `amber`, `amber+strict`, `red`).
    pub fn parse(name: &str) -> Option<Tlp> {
        match name.to_ascii_lowercase().as_str() {
            "clear" | "white" => Some(Tlp::Clear),
            "green" => Some(Tlp::Green),
            "amber" => Some(Tlp::Amber),
            "amber+strict" => Some(Tlp::AmberStrict),
            "red" => Some(Tlp::Red),
            _ => None,
        }
    }
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TLP:{}", self.name().to_ascii_uppercase())
    }
}

/// One built-in TLP marking definition.
#[derive(Debug, Clone, Copy)]
pub struct TlpMarking {
    /// The marking-definition id.
    pub id: &'static str,
    /// The level it stands for.
    pub tlp: Tlp,
    /// Whether it is a TLP 2.0 definition (otherwise TLP 1.0).
    pub v2: bool,
    /// The definition's `name` as published.
    pub name: &'static str,
}

/// The TLP 2.0 extension definition that TLP 2.0 markings refer to.
pub const TLP2_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";
const TLP2_AUTHOR: &str = "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01";

/// The TLP marking definitions Entente understands.
pub const MARKINGS: [TlpMarking; 9] = [
    TlpMarking { id: "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", tlp: Tlp::Clear, v2: false, name: "TLP:WHITE" },
    TlpMarking { id: "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", tlp: Tlp::Green, v2: false, name: "TLP:GREEN" },
    TlpMarking { id: "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", tlp: Tlp::Amber, v2: false, name: "TLP:AMBER" },
    TlpMarking { id: "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", tlp: Tlp::Red, v2: false, name: "TLP:RED" },
    TlpMarking { id: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", tlp: Tlp::Clear, v2: true, name: "TLP:CLEAR" },
    TlpMarking { id: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", tlp: Tlp::Green, v2: true, name: "TLP:GREEN" },
    TlpMarking { id: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", tlp: Tlp::Amber, v2: true, name: "TLP:AMBER" },
    TlpMarking { id: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", tlp: Tlp::AmberStrict, v2: true, name: "TLP:AMBER+STRICT" },
    TlpMarking { id: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", tlp: Tlp::Red, v2: true, name: "TLP:RED" },
];

impl TlpMarking {
    /// The marking-definition object itself, as STIX 2.1 JSON.
    pub fn to_json(&self) -> serde_json::Value {
        if self.v2 {
            serde_json::json!({
                "type": "marking-definition",
                "spec_version": "2.1",
                "id": self.id,
                "created": "2022-10-01T00:00:00.000Z",
                "created_by_ref": TLP2_AUTHOR,
                "name": self.name,
                "extensions": {
                    TLP2_EXTENSION: {
                        "extension_type": "property-extension",
                        "tlp_2_0": self.tlp.name()
                    }
                }
            })
        } else {
            serde_json::json!({
                "type": "marking-definition",
                "spec_version": "2.1",
                "id": self.id,
                "created": "2017-01-20T00:00:00.000Z",
                "definition_type": "tlp",
                "name": self.name,
                "definition": { "tlp": self.name.trim_start_matches("TLP:").to_ascii_lowercase() }
            })
        }
    }
}
