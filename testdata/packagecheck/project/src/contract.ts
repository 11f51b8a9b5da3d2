// The type half of the runtime contract: App.Locals gains both
// members, documented and typed without `any`. Every line fails to compile
// when a type is wrong or has become `any`.
import type { APIContext } from "astro"

type IsAny<T> = 0 extends 1 & T ? true : false
type Assert<T extends true> = T
type NotAny<T> = IsAny<T> extends true ? false : true
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

type Locals = APIContext["locals"]
type Upgrade = ReturnType<Locals["upgradeWebSocket"]>
type Socket = Upgrade["socket"]
type Options = NonNullable<Parameters<Locals["upgradeWebSocket"]>[0]>

export type Contract = [
  Assert<Equal<Locals["isUpgradeRequest"], boolean>>,
  Assert<NotAny<Locals["upgradeWebSocket"]>>,
  Assert<NotAny<Upgrade>>,
  Assert<NotAny<Socket>>,
  Assert<Equal<Upgrade["response"], Response>>,
  Assert<NotAny<Options>>,
  Assert<Equal<Options["protocol"], string | false | undefined>>,
  Assert<Equal<Socket["readyState"], number>>,
  Assert<Equal<Socket["protocol"], string>>,
  Assert<Equal<Socket["extensions"], string>>,
  Assert<Equal<Socket["bufferedAmount"], number>>,
  Assert<"blob" extends Socket["binaryType"] ? true : false>,
  Assert<"arraybuffer" extends Socket["binaryType"] ? true : false>,
  Assert<NotAny<Parameters<Socket["send"]>[0]>>,
  Assert<NotAny<Parameters<NonNullable<Socket["onmessage"]>>[0]>>,
]

// @ts-expect-error: upgradeWebSocket takes an options object, not a string
export const wrongOptions = (ctx: APIContext) => ctx.locals.upgradeWebSocket("chat")
// @ts-expect-error: isUpgradeRequest is read-only data, not a function
export const notCallable = (ctx: APIContext) => ctx.locals.isUpgradeRequest()
