# The ONNX schema, compiled with Debian's protoc for protobuf-lite. The onnx library is never linked.
# Source of the .proto files, in order: ONNXI_PROTO_DIR; the pinned onnx wheel in the build venv
# (IR 13); Debian's libonnx-dev onnx.proto (IR 8, a fallback that lacks newer types and fields).
set(_proto_dir "${ONNXI_PROTO_DIR}")
set(_proto_fallback OFF)
if(NOT _proto_dir AND ONNXI_PYTHON)
  execute_process(COMMAND "${ONNXI_PYTHON}" -c "import onnx, os; print(os.path.dirname(onnx.__file__))"
    OUTPUT_VARIABLE _onnx_py_dir OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc ERROR_QUIET)
  if(_rc EQUAL 0 AND EXISTS "${_onnx_py_dir}/onnx-ml.proto")
    set(_proto_dir "${_onnx_py_dir}")
  endif()
endif()
if(NOT _proto_dir AND EXISTS "/usr/include/onnx/onnx.proto")
  set(_proto_fallback ON)
  message(WARNING "Using Debian's libonnx-dev onnx.proto (IR 8): it lacks onnx-data.proto (sequence/optional "
    "test data), float8/int4/int2/float4 types, FunctionProto attribute defaults and overloads. Point "
    "ONNXI_PYTHON at a venv with onnx==1.23.2 or ONNXI_PROTO_DIR at its .proto files for IR 13.")
endif()
if(NOT _proto_dir AND NOT _proto_fallback)
  message(FATAL_ERROR "No ONNX .proto files: set ONNXI_PROTO_DIR, ONNXI_PYTHON, or install libonnx-dev")
endif()

set(_gen "${CMAKE_BINARY_DIR}/proto")
file(MAKE_DIRECTORY "${_gen}/onnx")
if(_proto_fallback)
  file(READ "/usr/include/onnx/onnx.proto" _ml)
  set(_data "")
else()
  file(READ "${_proto_dir}/onnx-ml.proto" _ml)
  file(READ "${_proto_dir}/onnx-data.proto" _data)
endif()
# Lite runtime keeps the core library small; onnx-ml.proto does not ask for it itself.
string(REGEX REPLACE "option optimize_for[^\n]*\n" "" _ml "${_ml}")
string(REPLACE "package onnx;" "package onnx;\noption optimize_for = LITE_RUNTIME;" _ml "${_ml}")
file(WRITE "${_gen}/onnx/onnx-ml.proto.in" "${_ml}")
configure_file("${_gen}/onnx/onnx-ml.proto.in" "${_gen}/onnx/onnx-ml.proto" COPYONLY)
set(_protos "${_gen}/onnx/onnx-ml.proto")
set(_srcs "${_gen}/onnx/onnx-ml.pb.cc")
if(_data)
  file(WRITE "${_gen}/onnx/onnx-data.proto.in" "${_data}")
  configure_file("${_gen}/onnx/onnx-data.proto.in" "${_gen}/onnx/onnx-data.proto" COPYONLY)
  list(APPEND _protos "${_gen}/onnx/onnx-data.proto")
  list(APPEND _srcs "${_gen}/onnx/onnx-data.pb.cc")
endif()
add_custom_command(OUTPUT ${_srcs}
  COMMAND protobuf::protoc --cpp_out=${_gen} -I${_gen} ${_protos}
  DEPENDS ${_protos} protobuf::protoc
  COMMENT "protoc: ONNX schema (lite)")
add_library(onnxi_proto STATIC ${_srcs})
target_include_directories(onnxi_proto PUBLIC "${_gen}")
target_link_libraries(onnxi_proto PUBLIC protobuf::libprotobuf-lite)
# Parsing runs once per model load: the generated code is compiled for size with the loader.
if(ONNXI_SMALL_OPS)
  target_compile_options(onnxi_proto PRIVATE -Os)
endif()
set(ONNXI_PROTO_INCLUDE_DIR "${_gen}")
if(_proto_fallback)
  target_compile_definitions(onnxi_proto PUBLIC ONNXI_PROTO_IR8=1)
endif()
