// Tests read API answers loosely and check them with expect(): `json()` is `any` here.
declare global {
  interface Response {
    // biome-ignore lint/suspicious/noExplicitAny: test-only; every field read is asserted
    json(): Promise<any>;
  }
}

export {};
