// Loaded only when a test asks for it, after captures: proves require() still works.
define([], () => ({ loaded: "later" }));
