# Finds Debian's LLVM/MLIR/LLD 22 and sets up TableGen helpers.
set(LLVM_DIR /usr/lib/llvm-22/lib/cmake/llvm CACHE PATH "")
set(MLIR_DIR /usr/lib/llvm-22/lib/cmake/mlir CACHE PATH "")
set(LLD_DIR /usr/lib/llvm-22/lib/cmake/lld CACHE PATH "")
find_package(MLIR REQUIRED CONFIG)
if(NOT LLVM_VERSION_MAJOR EQUAL 22)
  message(FATAL_ERROR "Nuri needs LLVM/MLIR 22, found ${LLVM_PACKAGE_VERSION}")
endif()
find_package(LLD REQUIRED CONFIG)
message(STATUS "Using MLIR in ${MLIR_DIR}, LLVM ${LLVM_PACKAGE_VERSION}")

list(APPEND CMAKE_MODULE_PATH ${MLIR_CMAKE_DIR} ${LLVM_CMAKE_DIR})
include(TableGen)
include(AddLLVM)
include(AddMLIR)

include_directories(SYSTEM ${LLVM_INCLUDE_DIRS} ${MLIR_INCLUDE_DIRS} ${LLD_INCLUDE_DIRS})
include_directories(${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR})
separate_arguments(_llvm_defs NATIVE_COMMAND ${LLVM_DEFINITIONS})
add_definitions(${_llvm_defs})

# Everything that includes MLIR links the shared libraries, never the static ones.
set(NURI_MLIR_LIBS MLIR LLVM)
set(NURI_TOOLS_DIR /usr/lib/llvm-22/bin)
