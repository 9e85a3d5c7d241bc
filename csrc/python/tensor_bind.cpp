// The Tensor class as Python sees it: properties, methods, operators, indexing, numpy and buffer interop.
#include <pybind11/functional.h>

#include "autograd/engine.h"
#include "core/error.h"
#include "core/grad_mode.h"
#include "core/node.h"
#include "ops/record.h"
#include "python/convert.h"

namespace pygrad::python {

namespace {

// grad_fn as Python sees it: a name and the functions its inputs came from.
struct NodeHandle {
  std::shared_ptr<Node> node;
};

std::string node_display_name(const Node& node) {
  if (node.is_accumulate_grad()) return "AccumulateGrad";
  std::string name = node.name;
  std::string out;
  bool upper = true;
  for (char ch : name) {
    if (ch == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : ch;
    upper = false;
  }
  return out + "Backward";
}

template <class Fn>
py::object binary_operator(const Tensor& self, py::handle other, bool reflected, Fn fn) {
  Tensor operand;
  try {
    operand = to_operand(other, "operator");
  } catch (const pygrad::Error&) {
    return py::reinterpret_borrow<py::object>(Py_NotImplemented);
  }
  Tensor result;
  {
    ReleaseGilIfLarge gil(std::max(self.numel(), operand.numel()));
    result = reflected ? fn(operand, self) : fn(self, operand);
  }
  return to_python(std::move(result));
}

// self as a handle: no pybind11 type lookup per call (operators are the hottest bindings).
const Tensor& self_tensor(py::handle self) {
  const Tensor* t = tensor_ptr(self);
  PG_CHECK(t && t->defined(), TypeError, "operator", "expected a Tensor, got ",
           std::string(py::str(py::type::of(self))));
  return *t;
}

double scalar_value(const Tensor& t, const char* op) {
  PG_CHECK(t.numel() == 1, RuntimeError, op, "a Tensor with ", t.numel(), " elements cannot be converted to a scalar");
  Tensor c = contiguous(to_dtype(detach(t), DType::Float64));
  return c.data<double>()[0];
}

py::object item(const Tensor& t) {
  PG_CHECK(t.numel() == 1, RuntimeError, "item", "a Tensor with ", t.numel(),
           " elements cannot be converted to a scalar");
  if (t.dtype() == DType::Bool) return py::bool_(*static_cast<const bool*>(t.raw_data()));
  py::object value;
  PG_DISPATCH_ALL(t.dtype(), "item", [&] {
    const scalar_t v = *static_cast<const scalar_t*>(t.raw_data());
    if (is_floating(t.dtype())) {
      value = py::float_(static_cast<double>(v));
    } else {
      value = py::int_(static_cast<int64_t>(v));
    }
  });
  return value;
}

TensorHook python_hook(py::function fn) {
  // The engine runs with the GIL released: take it to call (and to finally drop) the Python function.
  auto holder = std::shared_ptr<py::function>(new py::function(std::move(fn)), [](py::function* f) {
    py::gil_scoped_acquire gil;
    delete f;
  });
  return [holder](const Tensor& grad) {
    py::gil_scoped_acquire gil;
    py::object result = (*holder)(grad);
    if (result.is_none()) return Tensor();
    PG_CHECK(py::isinstance<Tensor>(result), TypeError, "hook", "a hook must return None or a Tensor");
    return result.cast<Tensor>();
  };
}

PostAccumulateHook python_post_accumulate_hook(py::function fn) {
  auto holder = std::shared_ptr<py::function>(new py::function(std::move(fn)), [](py::function* f) {
    py::gil_scoped_acquire gil;
    delete f;
  });
  return [holder](const Tensor& leaf) {
    py::gil_scoped_acquire gil;
    py::object result = (*holder)(leaf);
    PG_CHECK(result.is_none(), TypeError, "register_post_accumulate_grad_hook",
             "a post accumulate grad hook must return None");
  };
}

}  // namespace

void bind_tensor(py::module_& m) {
  py::class_<NodeHandle>(m, "Node")
      .def("name", [](const NodeHandle& h) { return node_display_name(*h.node); })
      .def_property_readonly("next_functions",
                             [](const NodeHandle& h) {
                               py::list out;
                               for (const Edge& e : h.node->next_edges)
                                 out.append(py::make_tuple(e.node ? py::cast(NodeHandle{e.node}) : py::none(), 0));
                               return py::tuple(out);
                             })
      .def("register_hook",
           [](const NodeHandle& h, py::function fn) {
             PG_THROW(RuntimeError, "register_hook", "hooks on grad_fn are not supported; use Tensor.register_hook");
           })
      .def("__eq__", [](const NodeHandle& a, const NodeHandle& b) { return a.node == b.node; })
      .def("__hash__", [](const NodeHandle& h) { return std::hash<Node*>()(h.node.get()); })
      .def("__repr__", [](const NodeHandle& h) { return "<" + node_display_name(*h.node) + " object>"; });

  py::object namedtuple = py::module_::import("collections").attr("namedtuple");
  m.add_object("_max_result", namedtuple("max", "values indices"));
  m.add_object("_min_result", namedtuple("min", "values indices"));

  py::class_<Tensor> tensor(m, "Tensor", py::buffer_protocol());
  tensor.def_buffer([](const Tensor& t) -> py::buffer_info {
    PG_CHECK(t.device() == Device::CPU, TypeError, "buffer", "only cpu tensors expose a buffer");
    PG_CHECK(t.dtype() != DType::BFloat16, TypeError, "buffer", "bfloat16 has no buffer format; convert first");
    static const char* formats[kNumDTypes] = {"?", "B", "b", "h", "i", "q", "e", "", "f", "d"};
    std::vector<ssize_t> shape(t.shape().begin(), t.shape().end()), strides;
    for (int64_t s : t.strides()) strides.push_back(s * static_cast<ssize_t>(t.element_size()));
    return py::buffer_info(t.raw_data(), static_cast<ssize_t>(t.element_size()), formats[static_cast<int>(t.dtype())],
                           t.dim(), shape, strides, false);
  });

  // Tensor(data): a new leaf sharing data's memory when data is a Tensor (what nn.Parameter builds on),
  // otherwise a copy of array-like data, as pygrad.tensor(data).
  tensor.def(py::init([](py::object data) {
               if (py::isinstance<Tensor>(data)) return detach(data.cast<Tensor>());
               return py::module_::import("pygrad").attr("tensor")(data).cast<Tensor>();
             }),
             py::arg("data"));
  tensor.def_property_readonly("shape", [](const Tensor& t) { return py::tuple(py::cast(t.shape())); })
      .def_property_readonly("dtype", [](const Tensor& t) { return dtype_object(t.dtype()); })
      .def_property_readonly("_device_type", [](const Tensor& t) { return std::string(device_name(t.device())); })
      .def_property_readonly("ndim", &Tensor::dim)
      .def_property_readonly("is_leaf", &Tensor::is_leaf)
      .def_property_readonly("_version", &Tensor::version)
      .def_property_readonly("_offset", &Tensor::offset)
      .def_property("requires_grad", &Tensor::requires_grad,
                    [](const Tensor& t, bool value) { t.set_requires_grad(value); })
      .def_property(
          "grad",
          [](const Tensor& t) -> py::object {
            Tensor g = t.grad();
            return g.defined() ? py::cast(g) : py::none();
          },
          [](const Tensor& t, py::object g) { t.set_grad(g.is_none() ? Tensor() : g.cast<Tensor>()); })
      .def_property_readonly("grad_fn",
                             [](const Tensor& t) -> py::object {
                               refresh_view_history(t);
                               return t.grad_fn() ? py::cast(NodeHandle{t.grad_fn()}) : py::none();
                             })
      .def(
          "_assume_geometry", [](const Tensor& self, const Tensor& view) { assume_geometry(self, view); },
          py::arg("view"), "internal: self takes view's shape, strides, offset and history (squeeze_, t_, ...)")
      .def(
          "detach_",
          [](py::object self) {
            detach_(self.cast<const Tensor&>());
            return self;
          },
          "Detaches self from the graph in place (no grad_fn, requires_grad False); returns self.")
      .def_property(
          "data", [](const Tensor& t) { return detach(t); },
          [](const Tensor& t, const Tensor& other) {
            TensorImpl* impl = t.impl();
            impl->storage = other.storage();
            impl->shape = other.shape();
            impl->strides = other.strides();
            impl->offset = other.offset();
            impl->dtype = other.dtype();
            impl->view_base.reset();
          })
      .def_property_readonly("T",
                             [](const Tensor& t) {
                               Dims dims;
                               for (int64_t d = t.dim() - 1; d >= 0; --d) dims.push_back(d);
                               return permute(t, dims);
                             })
      .def_property_readonly("mT", [](const Tensor& t) { return transpose(t, -2, -1); })
      .def("dim", &Tensor::dim)
      .def("numel", &Tensor::numel)
      .def("element_size", &Tensor::element_size)
      .def("is_contiguous", &Tensor::is_contiguous)
      .def("data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.raw_data()); })
      .def(
          "size",
          [](const Tensor& t, py::object dim) -> py::object {
            if (dim.is_none()) return py::tuple(py::cast(t.shape()));
            return py::int_(t.size(dim.cast<int64_t>()));
          },
          py::arg("dim") = py::none())
      .def(
          "stride",
          [](const Tensor& t, py::object dim) -> py::object {
            if (dim.is_none()) return py::tuple(py::cast(t.strides()));
            return py::int_(t.strides()[wrap_dim(dim.cast<int64_t>(), t.dim(), "stride")]);
          },
          py::arg("dim") = py::none())
      .def("item", &item)
      .def(
          "numpy",
          [](py::object self, bool force) {
            const Tensor& t = self.cast<const Tensor&>();
            PG_CHECK(!t.requires_grad() || force, RuntimeError, "numpy",
                     "can't call numpy() on a tensor that requires grad; use tensor.detach().numpy()");
            return tensor_to_numpy(t, self);
          },
          py::arg("force") = false)
      .def("detach", &detach)
      .def(
          "requires_grad_",
          [](py::object self, bool value) {
            self.cast<const Tensor&>().set_requires_grad(value);
            return self;
          },
          py::arg("requires_grad") = true)
      .def("retain_grad", &retain_grad)
      .def("register_hook", [](const Tensor& t, py::function fn) { register_hook(t, python_hook(std::move(fn))); })
      .def("register_post_accumulate_grad_hook",
           [](const Tensor& t, py::function fn) {
             register_post_accumulate_grad_hook(t, python_post_accumulate_hook(std::move(fn)));
           })
      .def("contiguous",
           [](const Tensor& t) {
             ReleaseGilIfLarge gil(t.numel());
             return contiguous(t);
           })
      .def("_to_dtype", [](const Tensor& t, py::handle dtype) { return to_dtype(t, to_dtype_arg(dtype, "to")); })
      .def("float", [](const Tensor& t) { return to_dtype(t, DType::Float32); })
      .def("double", [](const Tensor& t) { return to_dtype(t, DType::Float64); })
      .def("long", [](const Tensor& t) { return to_dtype(t, DType::Int64); })
      .def("int", [](const Tensor& t) { return to_dtype(t, DType::Int32); })
      .def("short", [](const Tensor& t) { return to_dtype(t, DType::Int16); })
      .def("char", [](const Tensor& t) { return to_dtype(t, DType::Int8); })
      .def("byte", [](const Tensor& t) { return to_dtype(t, DType::UInt8); })
      .def("half", [](const Tensor& t) { return to_dtype(t, DType::Float16); })
      .def("bfloat16", [](const Tensor& t) { return to_dtype(t, DType::BFloat16); })
      .def("bool", [](const Tensor& t) { return to_dtype(t, DType::Bool); })
      .def("type_as", [](const Tensor& t, const Tensor& other) { return to_dtype(t, other.dtype()); })
      .def("view",
           [](const Tensor& t, py::args shape) {
             if (shape.size() == 1 && !py::isinstance<py::sequence>(shape[0]) && !PyIndex_Check(shape[0].ptr()))
               return view_dtype(t, to_dtype_arg(shape[0], "view"));
             return view(t, to_shape(shape, "view"));
           })
      .def("view_as", [](const Tensor& t, const Tensor& other) { return view(t, other.shape()); })
      .def("reshape", [](const Tensor& t, py::args shape) { return reshape(t, to_shape(shape, "reshape")); })
      .def("reshape_as", [](const Tensor& t, const Tensor& other) { return reshape(t, other.shape()); })
      .def("permute", [](const Tensor& t, py::args dims) { return permute(t, to_shape(dims, "permute")); })
      .def("transpose", &transpose, py::arg("dim0"), py::arg("dim1"))
      .def("t",
           [](const Tensor& t) {
             PG_CHECK(t.dim() <= 2, ValueError, "t", "expects a tensor with <= 2 dimensions, got ", t.dim());
             return t.dim() < 2 ? t : transpose(t, 0, 1);
           })
      .def("expand", [](const Tensor& t, py::args shape) { return expand(t, to_shape(shape, "expand")); })
      .def("expand_as", [](const Tensor& t, const Tensor& other) { return expand(t, other.shape()); })
      .def(
          "squeeze",
          [](const Tensor& t, py::object dim) {
            return dim.is_none() ? squeeze(t) : squeeze(t, to_dims(dim, "squeeze"));
          },
          py::arg("dim") = py::none())
      .def("unsqueeze", &unsqueeze, py::arg("dim"))
      .def("flatten", &flatten, py::arg("start_dim") = 0, py::arg("end_dim") = -1)
      .def("narrow", &narrow, py::arg("dim"), py::arg("start"), py::arg("length"))
      .def("select", &select, py::arg("dim"), py::arg("index"))
      .def("cpu", [](const Tensor& t) { return t; })
      .def("zero_",
           [](py::object self) {
             const Tensor& t = self.cast<const Tensor&>();
             ReleaseGilIfLarge gil(t.numel());
             zero_(t);
             return self;
           })
      .def("fill_",
           [](py::object self, py::handle value) {
             const Tensor& t = self.cast<const Tensor&>();
             Tensor v = to_operand(value, "fill_");
             PG_CHECK(v.numel() == 1, ValueError, "fill_", "fill value must be a number or a 1-element tensor");
             copy_(t, reshape(v, {}));
             return self;
           })
      .def("copy_",
           [](py::object self, const Tensor& src) {
             const Tensor& t = self.cast<const Tensor&>();
             ReleaseGilIfLarge gil(t.numel());
             copy_(t, src);
             return self;
           })
      .def("__len__",
           [](const Tensor& t) {
             PG_CHECK(t.dim() > 0, TypeError, "len", "len() of a 0-d tensor");
             return t.shape()[0];
           })
      .def("__bool__", [](const Tensor& t) { return scalar_value(t, "bool") != 0; })
      .def("__float__", [](const Tensor& t) { return scalar_value(t, "float"); })
      .def("__int__",
           [](const Tensor& t) {
             if (is_integral(t.dtype(), true) && t.numel() == 1)  // exact beyond 2^53
               return contiguous(to_dtype(detach(t), DType::Int64)).data<int64_t>()[0];
             return static_cast<int64_t>(scalar_value(t, "int"));
           })
      .def("__index__",
           [](const Tensor& t) {
             PG_CHECK(is_integral(t.dtype(), false) && t.numel() == 1, TypeError, "index",
                      "only integer tensors of a single element can be converted to an index");
             return contiguous(to_dtype(detach(t), DType::Int64)).data<int64_t>()[0];
           })
      .def("__hash__", [](py::handle self) { return reinterpret_cast<intptr_t>(self.ptr()); })
      .def("__getitem__", [](const Tensor& t, py::handle index) { return pygrad::index(t, to_index_items(index)); })
      .def("__setitem__",
           [](const Tensor& t, py::handle index, py::handle value) {
             const std::vector<IndexItem> items = to_index_items(index);
             Tensor v = to_operand(value, "setitem");
             ReleaseGilIfLarge gil(t.numel());
             index_put_(t, items, v);
           })
      .def("__neg__", [](const Tensor& t) { return neg(t); })
      .def("__abs__", [](const Tensor& t) { return abs(t); })
      .def("__invert__", [](const Tensor& t) { return bitwise_not(t); })
      .def("__pos__", [](const Tensor& t) { return positive(t); })
      .def("__matmul__",
           [](const Tensor& a, const Tensor& b) {
             ReleaseGilIfLarge gil(a.numel() + b.numel());
             return matmul(a, b);
           })
      .def("__rmatmul__", [](const Tensor& b, py::handle a) { return matmul(to_operand(a, "matmul"), b); });

#define PG_BINARY_OPERATOR(pyname, fn, reflected)                                                                     \
  tensor.def(pyname, [](py::handle self, py::handle other) {                                                          \
    return binary_operator(self_tensor(self), other, reflected, [](const Tensor& a, const Tensor& b) { return fn; }); \
  });
  PG_BINARY_OPERATOR("__add__", add(a, b), false)
  PG_BINARY_OPERATOR("__radd__", add(a, b), true)
  PG_BINARY_OPERATOR("__sub__", sub(a, b), false)
  PG_BINARY_OPERATOR("__rsub__", sub(a, b), true)
  PG_BINARY_OPERATOR("__mul__", mul(a, b), false)
  PG_BINARY_OPERATOR("__rmul__", mul(a, b), true)
  PG_BINARY_OPERATOR("__truediv__", div(a, b), false)
  PG_BINARY_OPERATOR("__rtruediv__", div(a, b), true)
  PG_BINARY_OPERATOR("__pow__", pow(a, b), false)
  PG_BINARY_OPERATOR("__rpow__", pow(a, b), true)
  PG_BINARY_OPERATOR("__eq__", eq(a, b), false)
  PG_BINARY_OPERATOR("__ne__", ne(a, b), false)
  PG_BINARY_OPERATOR("__lt__", lt(a, b), false)
  PG_BINARY_OPERATOR("__le__", le(a, b), false)
  PG_BINARY_OPERATOR("__gt__", gt(a, b), false)
  PG_BINARY_OPERATOR("__ge__", ge(a, b), false)
  PG_BINARY_OPERATOR("__floordiv__", floor_divide(a, b), false)
  PG_BINARY_OPERATOR("__rfloordiv__", floor_divide(a, b), true)
  PG_BINARY_OPERATOR("__mod__", remainder(a, b), false)
  PG_BINARY_OPERATOR("__rmod__", remainder(a, b), true)
  PG_BINARY_OPERATOR("__and__", bitwise_and(a, b), false)
  PG_BINARY_OPERATOR("__rand__", bitwise_and(a, b), true)
  PG_BINARY_OPERATOR("__or__", bitwise_or(a, b), false)
  PG_BINARY_OPERATOR("__ror__", bitwise_or(a, b), true)
  PG_BINARY_OPERATOR("__xor__", bitwise_xor(a, b), false)
  PG_BINARY_OPERATOR("__rxor__", bitwise_xor(a, b), true)
  PG_BINARY_OPERATOR("__lshift__", bitwise_left_shift(a, b), false)
  PG_BINARY_OPERATOR("__rlshift__", bitwise_left_shift(a, b), true)
  PG_BINARY_OPERATOR("__rshift__", bitwise_right_shift(a, b), false)
  PG_BINARY_OPERATOR("__rrshift__", bitwise_right_shift(a, b), true)
#undef PG_BINARY_OPERATOR
  // In-place operators return the same Python object (identity and hash survive `w -= lr * g`).
#define PG_INPLACE_OPERATOR(pyname, fn)                                                                        \
  tensor.def(pyname, [](py::object self, py::handle other) -> py::object {                                     \
    py::object r =                                                                                             \
        binary_operator(self_tensor(self), other, false, [](const Tensor& a, const Tensor& b) { return fn; }); \
    return r.is(py::handle(Py_NotImplemented)) ? r : self;                                                     \
  });
  PG_INPLACE_OPERATOR("__iadd__", add_(a, b))
  PG_INPLACE_OPERATOR("__isub__", sub_(a, b))
  PG_INPLACE_OPERATOR("__imul__", mul_(a, b))
  PG_INPLACE_OPERATOR("__itruediv__", div_(a, b))
#undef PG_INPLACE_OPERATOR

  // In-place arithmetic with PyTorch's alpha (add_(other, alpha=a) adds a * other).
  tensor.def(
      "add_",
      [](py::object self, py::handle other, double alpha) {
        const Tensor& t = self.cast<const Tensor&>();
        Tensor o = to_operand(other, "add_");
        ReleaseGilIfLarge gil(t.numel());
        add_(t, alpha == 1.0 ? o : mul(o, wrapped_scalar(alpha)));
        return self;
      },
      py::arg("other"), py::kw_only(), py::arg("alpha") = 1.0);
  tensor.def(
      "sub_",
      [](py::object self, py::handle other, double alpha) {
        const Tensor& t = self.cast<const Tensor&>();
        Tensor o = to_operand(other, "sub_");
        ReleaseGilIfLarge gil(t.numel());
        sub_(t, alpha == 1.0 ? o : mul(o, wrapped_scalar(alpha)));
        return self;
      },
      py::arg("other"), py::kw_only(), py::arg("alpha") = 1.0);
  tensor.def("mul_", [](py::object self, py::handle other) {
    const Tensor& t = self.cast<const Tensor&>();
    Tensor o = to_operand(other, "mul_");
    ReleaseGilIfLarge gil(t.numel());
    mul_(t, o);
    return self;
  });
  tensor.def("div_", [](py::object self, py::handle other) {
    const Tensor& t = self.cast<const Tensor&>();
    Tensor o = to_operand(other, "div_");
    ReleaseGilIfLarge gil(t.numel());
    div_(t, o);
    return self;
  });
}

}  // namespace pygrad::python
