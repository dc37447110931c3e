//! One-node ONNX graphs and their runs, for the tests of the ops this crate
//! swaps into tract's plan ([`super::BlockPool`], [`super::im2col`]).

use tract_onnx::pb;
use tract_onnx::prelude::*;

/// An `ints` attribute.
pub fn ints(name: &str, ints: Vec<i64>) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Ints as i32,
        ints,
        ..Default::default()
    }
}

/// A float tensor of unknown shape named `name` (a graph input or output).
fn float_value(name: &str) -> pb::ValueInfoProto {
    pb::ValueInfoProto {
        name: name.into(),
        r#type: Some(pb::TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: pb::tensor_proto::DataType::Float as i32,
                shape: None,
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A float initializer `name` of shape `dims`.
pub fn float_tensor(name: &str, dims: &[usize], data: Vec<f32>) -> pb::TensorProto {
    pb::TensorProto {
        name: name.into(),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: pb::tensor_proto::DataType::Float as i32,
        float_data: data,
        ..Default::default()
    }
}

/// An opset-17 model of `node` from input `x` to output `y`.
pub fn model(
    name: &str,
    node: Vec<pb::NodeProto>,
    initializer: Vec<pb::TensorProto>,
) -> pb::ModelProto {
    pb::ModelProto {
        ir_version: 8,
        opset_import: vec![pb::OperatorSetIdProto {
            domain: String::new(),
            version: 17,
        }],
        graph: Some(pb::GraphProto {
            node,
            name: name.into(),
            initializer,
            input: vec![float_value("x")],
            output: vec![float_value("y")],
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Deterministic values in -1..1, about half of them negative.
pub fn noise(len: usize, seed: u32) -> Vec<f32> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 8) as f32 / (1u32 << 23) as f32 - 1.0
        })
        .collect()
}

/// The first output of `model` on `input`.
pub fn run(model: TypedModel, input: &Tensor) -> Tensor {
    let out = model
        .into_runnable()
        .unwrap()
        .run(tvec!(input.clone().into()))
        .unwrap();
    out[0].clone().into_tensor()
}

/// The largest absolute difference between two f32 tensors of one shape.
pub fn worst_difference(a: &Tensor, b: &Tensor) -> f32 {
    assert_eq!(a.shape(), b.shape());
    let (a, b) = (a.try_as_plain_ram().unwrap(), b.try_as_plain_ram().unwrap());
    a.as_slice::<f32>()
        .unwrap()
        .iter()
        .zip(b.as_slice::<f32>().unwrap())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max)
}
