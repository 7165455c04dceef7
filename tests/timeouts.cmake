# tests/timeouts.cmake - every test's measured time, in one table: its TIMEOUT
# is about three times that (at least 30 s), times ORIGIND_TIMEOUT_SCALE (3
# under ASan+UBSan, 4 under TSan), so a hang fails by name and not by the CI's
# wall clock; its COST is the time, so ctest starts the longest tests first
# and they do not form a tail at the end of a pass.
#
# Measured on the 2-core CI machine (RelWithDebInfo, ctest -j1 under nice,
# with other work running: generous on purpose), seconds, rounded up. A new
# test gets a row once measured (ctest prints the times; scripts/test.sh the
# ten slowest). peer_mixed and peer_mixed_zstd include their first build of an
# earlier release (shared between build trees by scripts/test.sh);
# e2e_reload_guard includes its npm ci.
#
# Each CMakeLists.txt that adds tests calls origind_test_times() at its end:
# set_tests_properties() reaches only the tests of its own directory.

if(ORIGIND_SANITIZE)
  set(ORIGIND_TIMEOUT_SCALE 3)
elseif(ORIGIND_TSAN)
  set(ORIGIND_TIMEOUT_SCALE 4)
else()
  set(ORIGIND_TIMEOUT_SCALE 1)
endif()

set(ORIGIND_TEST_SECONDS
  hardening_tls_hostile_timeout_76s 121
  server_keepalive_idle_76s          77
  e2e_reload_guard                   60
  peer_mixed                         60
  hardening_crash_push               51
  hardening_tls_hostile              51
  peer_catchup                       51
  e2e_rolling_deploy                 38
  hardening_hostile_clients          37
  peer_sync                          36
  crash_store                        33
  unit_store_valgrind                33
  server_bad_requests                31
  crash_prune                        30
  server_response_cache              27
  ingest_seed                        24
  hardening_security                 23
  hardening_faults                   21
  peer_nginx                         21
  peer_mixed_zstd                    18
  lint_shellcheck                    25
  peer_strict                        16
  e2e_browser_dictionary             14
  e2e_quickstart                     14
  server_prune_load                  14
  peer_bad_peer                      13
  peer_prune                         13
  hardening_admin_slowloris          12
  server_keepalive_idle              12
  e2e_browser_assets                 11
  ingest_changing_dir                10
  ingest_deltas                      10
  peer_hang                          10
  peer_prune_promoted                10
  unit_store_concurrent              10
  unit_store_prune_valgrind          10
  e2e_verify_through                  9
  ingest_node_failures                9
  e2e_package                         15
  peer_promote                        8
  peer_tls                            8
  server_drain                        8
  unit_ingest_valgrind                15
  e2e_discovery                       7
  ingest_push                         7
  peer_dictionary                     7
  peer_fleet                          7
  hardening_disk_full                 6
  peer_fleet_restart                  6
  ingest_dry_run                      5
  server_admin_api                    5
  server_contract_edges               5
  server_tls_tokens                   5
  hardening_smuggling                 4
  e2e_deploy_kit                      3
  peer_one_writer                     3
  server_cli                          3
  server_dictionary                   3
  server_listen_close                 3
  unit_store_promote_valgrind         3
  unit_store_prune                    3
  e2e_cloudfront_function             2
  ingest_manifest                     2
  ingest_reserved_paths               2
  lint_skip_report                    2
  server_admin_auth                   2
  server_concurrent                   2
  server_cors                         2
  e2e_observability                   1
  fuzz_replay_accept_encoding         1
  fuzz_replay_answer                  1
  fuzz_replay_bundle                  1
  fuzz_replay_cors                    1
  fuzz_replay_dictionary              1
  fuzz_replay_fetch                   1
  fuzz_replay_if_none_match           1
  fuzz_replay_list_params             1
  fuzz_replay_missing_body            1
  fuzz_replay_promotion               1
  fuzz_replay_range                   1
  fuzz_replay_release_body            1
  fuzz_replay_target                  1
  hardening_release_hooks             1
  ingest_cli                          1
  ingest_conflict                     1
  ingest_output_files                 1
  lint_man_options                    1
  lint_test_times                     1
  server_conditional_range            1
  server_encoding                     1
  server_headers                      1
  server_keepalive                    1
  server_origin_secret                1
  server_prune                        1
  server_store_full                   1
  server_unit_admin_body              1
  server_unit_api_dict                1
  server_unit_api_fetch               1
  server_unit_cors                    1
  server_unit_http                    1
  unit_common                         1
  unit_ingest                         1
  unit_opt                            1
  unit_secret_file                    1
  unit_store                          1
  unit_store_promote                  1
)

function(origind_test_times)
  list(LENGTH ORIGIND_TEST_SECONDS n)
  math(EXPR last "${n} - 1")
  foreach(i RANGE 0 ${last} 2)
    math(EXPR j "${i} + 1")
    list(GET ORIGIND_TEST_SECONDS ${i} name)
    list(GET ORIGIND_TEST_SECONDS ${j} secs)
    if(TEST ${name})
      math(EXPR t "${secs} * 3")
      if(t LESS 30)
        set(t 30)
      endif()
      math(EXPR t "${t} * ${ORIGIND_TIMEOUT_SCALE}")
      set_tests_properties(${name} PROPERTIES TIMEOUT ${t} COST ${secs})
    endif()
  endforeach()
endfunction()
