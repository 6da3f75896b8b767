# One options target carries the language level, warnings and Qt's strictness defines for
# every target in the tree (the habit qBittorrent's CommonConfig.cmake keeps).
add_library(ts_options INTERFACE)
target_compile_features(ts_options INTERFACE cxx_std_20)
target_compile_options(ts_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                            -Wcast-align -Wunused -Woverloaded-virtual)
target_compile_definitions(ts_options INTERFACE
    QT_NO_CAST_FROM_ASCII
    QT_NO_CAST_TO_ASCII
    QT_NO_CONTEXTLESS_CONNECT
    QT_USE_QSTRINGBUILDER
    QT_NO_URL_CAST_FROM_STRING
    QT_DISABLE_DEPRECATED_UP_TO=0x060400)
target_include_directories(ts_options INTERFACE ${PROJECT_SOURCE_DIR})

if(TS_WERROR)
    target_compile_options(ts_options INTERFACE -Werror)
endif()

if(TS_SANITIZE)
    target_compile_options(ts_options INTERFACE -fsanitize=address,undefined
                                                -fno-sanitize-recover=undefined
                                                -fno-omit-frame-pointer)
    target_link_options(ts_options INTERFACE -fsanitize=address,undefined)
    # GCC's flow analysis is confused by the sanitizers' instrumentation and reports
    # "may be used uninitialized" inside libstdc++ (<regex>, std::function); GCC's own
    # manual warns that this warning is unreliable there. The plain build keeps it.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
        target_compile_options(ts_options INTERFACE -Wno-maybe-uninitialized)
    endif()
endif()
