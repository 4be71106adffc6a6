# cmake --install: the tools, the libraries, the headers a vendor's plugins
# build against, and the CMake package (find_package(Nuri)). Binaries find
# the libraries beside them through RPATH $ORIGIN/../lib.
install(TARGETS nuri_runtime LIBRARY DESTINATION lib)
install(TARGETS nuri-run nuri-compare nuri-cts RUNTIME DESTINATION bin)
# nuri-cts's cpu kernels, and the npu-sim driver as a plugin.
install(TARGETS nuri_cts_kernels nuri_npu_sim_plugin LIBRARY DESTINATION lib)
install(FILES runtime/include/nuri/runtime.h runtime/include/nuri/driver_plugin.h
        DESTINATION include/nuri)
install(FILES tests/compare/kernels.json DESTINATION share/nuri)
# The ONNX node suite's runner and expectations (nuri-cts --node-suite).
install(DIRECTORY tests/conformance/ DESTINATION share/nuri/conformance
        PATTERN "__pycache__" EXCLUDE)
if(NURI_BUILD_COMPILER)
  install(TARGETS NuriPipeline NuriTargetRegistry NuriImporter NuriTransforms NuriDialect
                  NpuDialect NuriSerialize NuriCpuTarget NuriNpuTarget NuriGpuCommon
                  NuriVulkanTarget NuriCudaTarget nuri_vendor_target nuri_vendor_driver
          LIBRARY DESTINATION lib)
  install(TARGETS nuri-compile nuri-opt RUNTIME DESTINATION bin)
  install(FILES compiler/pipeline/TargetBackend.h compiler/pipeline/TargetPlugin.h
          DESTINATION include/nuri-compiler/compiler/pipeline)
  install(FILES compiler/serialize/ArtifactWriter.h
          DESTINATION include/nuri-compiler/compiler/serialize)
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/NuriConfig.cmake.in
               ${CMAKE_BINARY_DIR}/cmake/NuriConfig.cmake @ONLY)
include(CMakePackageConfigHelpers)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/NuriConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/cmake/NuriConfig.cmake ${CMAKE_BINARY_DIR}/cmake/NuriConfigVersion.cmake
        DESTINATION lib/cmake/Nuri)
