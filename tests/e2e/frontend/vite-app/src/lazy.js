export function lazy() {
  return 'lazy chunk of ' + __APP_VERSION__;
}
