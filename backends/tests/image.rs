//! The chip image: every valid program reads back as itself; damaged,
//! foreign, future and over-limit images are refused with their own error,
//! and no bytes at all make the decoder panic.

use neurc_backends::chip::{IMAGE_VERSION, ImageError, decode, encode};
use neurc_ir::NeuronRange;
use neurc_ir::chip::{
    ChipProgram, ChipSpec, Compartment, CompartmentProfile, CoreId, CoreProgram, InputAxon,
    InputSource, OutputAxon, PopulationSlice, ProgramParts, SignMode, SourceKind, SynapseFormat,
    SynapseList,
};
use neurc_ir::chip_testing::arb_program;
use neurc_ir::ids::NodeId;
use proptest::prelude::*;
use proptest::sample::Index;

/// Magic, version, payload length, hash.
const HEADER_LEN: usize = 52;

/// One Loihi core: a two-compartment neuron (dendrite joined to its soma)
/// and a point neuron, two input axons of a mixed-sign format, routes from
/// both somas back to the core, a Poisson and a spike-time source.
fn one_core_program() -> ChipProgram {
    let soma = CompartmentProfile {
        du: 410,
        dv: 205,
        vth: Some(100),
        refractory_delay: 2,
    };
    let dendrite = CompartmentProfile {
        du: 4095,
        dv: 0,
        vth: None,
        refractory_delay: 1,
    };
    let compartment = |profile, parent| Compartment {
        profile,
        bias_mantissa: -7,
        bias_exponent: 3,
        u: 12,
        v: -3,
        parent,
    };
    let core = CoreProgram {
        id: CoreId(0),
        profiles: vec![soma, dendrite],
        compartments: vec![
            compartment(1, Some(1)),
            compartment(0, None),
            compartment(0, None),
        ],
        formats: vec![SynapseFormat {
            weight_bits: 8,
            sign: SignMode::Mixed,
            weight_exponent: -2,
            index_bits: 10,
            delay_bits: 6,
        }],
        input_axons: vec![
            InputAxon {
                format: 0,
                first: 0,
                count: 2,
            },
            InputAxon {
                format: 0,
                first: 2,
                count: 1,
            },
        ],
        synapses: SynapseList {
            compartment: vec![0, 1, 2],
            weight: vec![-256, 254, 2],
            delay: vec![1, 2, 3],
        },
        output_axons: vec![
            OutputAxon {
                source: 1,
                core: CoreId(0),
                axon: 0,
            },
            OutputAxon {
                source: 2,
                core: CoreId(0),
                axon: 1,
            },
        ],
        delay_slots: 3,
    };
    let inputs = vec![
        InputSource {
            node: NodeId(0),
            name: "noise".into(),
            size: 2,
            kind: SourceKind::Poisson {
                mean_per_step: vec![0.5, 0.025],
            },
            output_axons: vec![
                OutputAxon {
                    source: 0,
                    core: CoreId(0),
                    axon: 0,
                },
                OutputAxon {
                    source: 1,
                    core: CoreId(0),
                    axon: 1,
                },
            ],
        },
        InputSource {
            node: NodeId(1),
            name: "clock".into(),
            size: 1,
            kind: SourceKind::Steps {
                steps: vec![vec![1, 5, 9]],
            },
            output_axons: vec![],
        },
    ];
    let slices = vec![
        PopulationSlice {
            node: NodeId(2),
            neurons: NeuronRange::new(0, 1),
            core: CoreId(0),
            first_compartment: 0,
            per_neuron: 2,
        },
        PopulationSlice {
            node: NodeId(3),
            neurons: NeuronRange::new(0, 1),
            core: CoreId(0),
            first_compartment: 2,
            per_neuron: 1,
        },
    ];
    ChipProgram::new(ProgramParts {
        spec: ChipSpec::loihi(),
        dt: 1e-3,
        seed: 42,
        cores: vec![core],
        inputs,
        slices,
    })
    .expect("a valid program")
}

/// The payload's spec text and what follows it.
fn split_payload(image: &[u8]) -> (ChipSpec, Vec<u8>) {
    let payload = &image[HEADER_LEN..];
    let len = u64::from_le_bytes(payload[..8].try_into().expect("8 bytes")) as usize;
    let spec = serde_json::from_slice(&payload[8..8 + len]).expect("the spec's JSON");
    (spec, payload[8 + len..].to_vec())
}

/// An image of `payload` with a header that vouches for it, as a tool
/// that edits images would write it.
fn seal(payload: &[u8]) -> Vec<u8> {
    let mut image = b"NEURCIMG".to_vec();
    image.extend_from_slice(&IMAGE_VERSION.to_le_bytes());
    image.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    image.extend_from_slice(blake3::hash(payload).as_bytes());
    image.extend_from_slice(payload);
    image
}

/// `rest` of a payload behind another spec.
fn with_spec(spec: &ChipSpec, rest: &[u8]) -> Vec<u8> {
    let text = serde_json::to_vec(spec).expect("JSON");
    let mut payload = (text.len() as u64).to_le_bytes().to_vec();
    payload.extend_from_slice(&text);
    payload.extend_from_slice(rest);
    payload
}

#[test]
fn one_core_program_round_trips() {
    let program = one_core_program();
    let image = encode(&program);
    assert_eq!(&image[..8], b"NEURCIMG");
    assert_eq!(image[8..12], IMAGE_VERSION.to_le_bytes());
    let payload_len = u64::from_le_bytes(image[12..20].try_into().expect("8 bytes"));
    assert_eq!(payload_len as usize, image.len() - HEADER_LEN);
    assert_eq!(&image[20..52], blake3::hash(&image[52..]).as_bytes());
    let (spec, _) = split_payload(&image);
    assert_eq!(spec, ChipSpec::loihi());
    assert_eq!(decode(&image), Ok(program.clone()));
    // The same program, the same bytes.
    assert_eq!(encode(&program), image);
}

/// The three synapses are stored as raw little-endian arrays: compartments,
/// then weights, then delays.
#[test]
fn synapses_are_raw_arrays() {
    let image = encode(&one_core_program());
    let raw: Vec<u8> = [0u16, 1, 2]
        .iter()
        .flat_map(|c| c.to_le_bytes())
        .chain([-256i16, 254, 2].iter().flat_map(|w| w.to_le_bytes()))
        .chain([1u8, 2, 3])
        .collect();
    let mut counted = 3u64.to_le_bytes().to_vec();
    counted.extend_from_slice(&raw);
    assert!(
        image.windows(counted.len()).any(|w| w == counted),
        "no count-prefixed synapse arrays in the image"
    );
}

#[test]
fn every_truncation_is_refused() {
    let image = encode(&one_core_program());
    for len in 0..image.len() {
        match decode(&image[..len]) {
            Err(ImageError::Truncated { found, .. }) => assert_eq!(found, len as u64),
            other => panic!("cut to {len} bytes: {other:?}"),
        }
    }
}

/// What flipping a byte at `position` must give: the header's fields each
/// have their own error, the payload is covered by the checksum.
fn assert_refused(image: &[u8], position: usize, flip: u8) {
    let mut damaged = image.to_vec();
    damaged[position] ^= flip;
    let result = decode(&damaged);
    let expected = match position {
        0..8 => matches!(result, Err(ImageError::NotAnImage)),
        8..12 => matches!(
            result,
            Err(ImageError::UnsupportedVersion { found, supported: IMAGE_VERSION })
                if found != IMAGE_VERSION
        ),
        12..20 => matches!(
            result,
            Err(ImageError::Truncated { .. } | ImageError::TrailingBytes { .. })
        ),
        _ => matches!(result, Err(ImageError::Corrupt)),
    };
    assert!(expected, "byte {position} ^ {flip:#04x}: {result:?}");
}

#[test]
fn every_flipped_byte_is_refused() {
    let image = encode(&one_core_program());
    for position in 0..image.len() {
        for flip in [0x01, 0x80, 0xff] {
            assert_refused(&image, position, flip);
        }
    }
}

#[test]
fn bad_magic_is_not_an_image() {
    let mut image = encode(&one_core_program());
    image[..8].copy_from_slice(b"\x7fELF\x02\x01\x01\x00");
    let error = decode(&image).expect_err("an ELF file");
    assert_eq!(error, ImageError::NotAnImage);
    assert_eq!(
        format!("out/image.bin: {error}"),
        "out/image.bin: not a neurc chip image (it does not start with `NEURCIMG`)"
    );
    assert_eq!(decode(b"{\"cores\": []}"), Err(ImageError::NotAnImage));
    assert_eq!(
        decode(b"NEUR"),
        Err(ImageError::Truncated {
            needed: 52,
            found: 4
        })
    );
}

#[test]
fn another_version_is_named() {
    let mut image = encode(&one_core_program());
    image[8..12].copy_from_slice(&2u32.to_le_bytes());
    let error = decode(&image).expect_err("a future image");
    assert_eq!(
        error,
        ImageError::UnsupportedVersion {
            found: 2,
            supported: 1
        }
    );
    let message = error.to_string();
    assert!(
        message.contains("version 2") && message.contains("version 1"),
        "{message}"
    );
}

#[test]
fn stray_bytes_after_the_payload_are_refused() {
    let mut image = encode(&one_core_program());
    image.extend_from_slice(b"junk");
    assert!(matches!(
        decode(&image),
        Err(ImageError::TrailingBytes { extra: 4, .. })
    ));
}

/// A payload edited behind the checksum's back (and re-hashed) is still
/// checked against the chip's limits.
#[test]
fn a_resealed_edit_that_breaks_a_limit_is_refused() {
    let image = encode(&one_core_program());
    let (mut spec, rest) = split_payload(&image);
    spec.core.compartments = 2;
    spec.core.dendritic_accumulators = 2;
    let error = decode(&seal(&with_spec(&spec, &rest))).expect_err("over the limits");
    let ImageError::Limits(errors) = &error else {
        panic!("{error:?}");
    };
    assert!(
        errors.iter().any(|e| e.message.contains("3 compartments")),
        "{errors:?}"
    );
    assert!(
        error.to_string().contains("does not fit its chip"),
        "{error}"
    );

    // dt follows the spec: a negative step.
    let mut payload = with_spec(&ChipSpec::loihi(), &rest);
    let dt = payload.len() - rest.len();
    payload[dt..dt + 8].copy_from_slice(&(-1e-3f64).to_le_bytes());
    assert!(
        matches!(decode(&seal(&payload)), Err(ImageError::Limits(e)) if e[0].message.contains("positive time"))
    );
}

/// Specs and formats that would overflow the limit checks' arithmetic are
/// refused as over the limits, not by a panic.
#[test]
fn overflowing_specs_and_formats_are_refused() {
    let image = encode(&one_core_program());
    let (mut spec, rest) = split_payload(&image);
    spec.mesh.tiles = [1 << 16, 1 << 16];
    assert!(matches!(
        decode(&seal(&with_spec(&spec, &rest))),
        Err(ImageError::Limits(_))
    ));

    // The format's delay width: after dt, seed, core count, core id, the
    // profile count and profiles (17 + 13 bytes), the compartment count
    // and compartments (18 + 16 + 16), the format count, and four bytes of
    // the format.
    let mut payload = with_spec(&ChipSpec::loihi(), &rest);
    let at = payload.len() - rest.len() + 8 + 8 + 8 + 4 + 8 + 30 + 8 + 50 + 8 + 4;
    assert_eq!(payload[at], 6, "the format's delay bits");
    payload[at] = 200;
    assert!(matches!(
        decode(&seal(&payload)),
        Err(ImageError::Limits(e)) if e.iter().any(|e| e.message.contains("synapse format 0"))
    ));
}

#[test]
fn a_resealed_payload_cut_short_is_malformed() {
    let image = encode(&one_core_program());
    let payload = &image[HEADER_LEN..];
    for len in 0..payload.len() {
        match decode(&seal(&payload[..len])) {
            Err(ImageError::Malformed { .. }) => {}
            other => panic!("payload cut to {len} bytes: {other:?}"),
        }
    }
    let mut longer = payload.to_vec();
    longer.push(0);
    assert!(matches!(
        decode(&seal(&longer)),
        Err(ImageError::Malformed {
            field: "end of payload",
            ..
        })
    ));
}

#[test]
fn error_messages_read_after_a_path() {
    let cases = [
        (
            ImageError::Truncated {
                needed: 52,
                found: 10,
            },
            "truncated neurc chip image: 10 bytes where 52 are expected",
        ),
        (
            ImageError::Corrupt,
            "corrupt neurc chip image: its payload does not match its checksum",
        ),
        (
            ImageError::Malformed {
                field: "format sign",
                offset: 2000,
                reason: "tag 7, expected 0 (mixed), 1 (excitatory) or 2 (inhibitory)".into(),
            },
            "malformed neurc chip image: format sign at byte 2000 of the payload: tag 7, \
             expected 0 (mixed), 1 (excitatory) or 2 (inhibitory)",
        ),
    ];
    for (error, message) in cases {
        assert_eq!(error.to_string(), message);
    }
}

proptest! {
    #[test]
    fn programs_round_trip(program in arb_program()) {
        let image = encode(&program);
        prop_assert_eq!(decode(&image), Ok(program));
    }

    #[test]
    fn damaged_images_are_refused(
        program in arb_program(),
        position in any::<Index>(),
        flip in 1u8..=255,
        cut in any::<Index>(),
    ) {
        let image = encode(&program);
        assert_refused(&image, position.index(image.len()), flip);
        let len = cut.index(image.len());
        prop_assert!(
            matches!(decode(&image[..len]), Err(ImageError::Truncated { .. })),
            "cut to {} bytes", len
        );
    }

    /// Behind a valid checksum, any edit of the binary part of the payload
    /// (after the spec's JSON, which serde_json guards) decodes to some
    /// program or an error, never a panic; an edited image that still
    /// decodes is a checked program, which round-trips like any other.
    #[test]
    fn resealed_edits_never_panic(
        program in arb_program(),
        edits in prop::collection::vec((any::<Index>(), any::<u8>()), 1..4),
        cut in any::<Index>(),
    ) {
        let image = encode(&program);
        let (spec, mut rest) = split_payload(&image);
        for (position, value) in edits {
            let at = position.index(rest.len());
            rest[at] = value;
        }
        if let Ok(edited) = decode(&seal(&with_spec(&spec, &rest))) {
            prop_assert_eq!(decode(&encode(&edited)), Ok(edited));
        }
        rest.truncate(cut.index(rest.len()));
        prop_assert!(decode(&seal(&with_spec(&spec, &rest))).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&bytes);
        let _ = decode(&seal(&bytes));
    }
}
