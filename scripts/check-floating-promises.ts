/**
 * Finds promises nobody waits for. The store answers with promises (src/store/async.ts), and the
 * design's guarantees (exactly-once, guarded transitions, audit before the user is told) hold only
 * if each write is awaited before the next step runs; an unawaited rejection can also end the
 * process. Type-aware, so it sees every call whose result is a promise, not just `store.` ones:
 *
 * - a statement that drops a promise (`store.audit(...)` alone on its line), or an array of them;
 * - `void promise` without a comment saying why the order does not matter;
 * - a promise used as a condition (`if (store.requests.has(id))` is always true);
 * - a promise handed where any value will do (`expect(p)`, a log field, a template string, a spread);
 * - an async callback given to `filter`, `some`, `every`, `find`, `findIndex` or `reduce` (each sees
 *   a promise, always truthy), or to `map` whose result is not handed straight to `Promise.all`;
 * - an async function given where a callback's result is ignored (`setTimeout`, `on("event")`,
 *   `forEach`): its rejection would be unhandled. A callback that catches everything itself says so
 *   with a `floating-promises: <why>` comment just above it.
 *
 * Run with `npx tsx scripts/check-floating-promises.ts` (part of `npm run lint`); it prints one line
 * per finding and exits 1 when there is any.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";

const ARRAY_PREDICATES = new Set([
  "filter",
  "some",
  "every",
  "find",
  "findIndex",
  "findLast",
  "findLastIndex",
  "reduce",
]);
const ARRAY_MAPS = new Set(["map", "flatMap"]);
const PROMISE_COMBINATORS = new Set(["all", "allSettled", "race", "any"]);
const WAIVER = /floating-promises:\s*\S/;

export interface Finding {
  file: string;
  line: number;
  message: string;
}

export function findFloatingPromises(tsconfig: string): Finding[] {
  const read = ts.readConfigFile(tsconfig, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(tsconfig));
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const checker = program.getTypeChecker();
  const findings: Finding[] = [];

  const isThenable = (type: ts.Type): boolean => {
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return false;
    if (type.isUnion()) return type.types.some(isThenable);
    const then = checker.getPropertyOfType(type, "then");
    if (!then) return false;
    return checker.getTypeOfSymbol(then).getCallSignatures().length > 0;
  };
  const thenable = (node: ts.Expression) => isThenable(checker.getTypeAtLocation(node));
  // `if (pending)` on a `Promise | undefined` is a real test; on a bare promise it is always true.
  const alwaysThenable = (node: ts.Expression) => {
    const type = checker.getTypeAtLocation(node);
    const parts = type.isUnion() ? type.types : [type];
    return parts.every(isThenable);
  };
  const arrayOfThenables = (node: ts.Expression) => {
    const type = checker.getTypeAtLocation(node);
    if (!checker.isArrayType(type) && !checker.isTupleType(type)) return false;
    return checker.getTypeArguments(type as ts.TypeReference).some(isThenable);
  };
  const returnsThenable = (fn: ts.Expression) =>
    checker
      .getTypeAtLocation(fn)
      .getCallSignatures()
      .some((signature) => isThenable(checker.getReturnTypeOfSignature(signature)));

  const expectsVoid = (type: ts.Type) => {
    const signatures = checker.getNonNullableType(type).getCallSignatures();
    return (
      signatures.length > 0 &&
      signatures.every((signature) => checker.getReturnTypeOfSignature(signature).flags & ts.TypeFlags.Void)
    );
  };
  const contextualFunction = (node: ts.Node) => {
    if (!ts.isArrowFunction(node) && !ts.isFunctionExpression(node)) {
      // A named function only matters where it is handed on as a value (`{ onTick: sweep }`).
      if (!ts.isIdentifier(node) || !ts.isPropertyAssignment(node.parent) || node.parent.initializer !== node) return;
    }
    return checker.getContextualType(node as ts.Expression);
  };
  /** The type a class method promised to its interface or base class, when it has one. */
  const declaredContract = (method: ts.MethodDeclaration) => {
    const owner = method.parent;
    if (!ts.isClassLike(owner) || !method.name) return;
    const name = method.name.getText();
    for (const clause of owner.heritageClauses ?? []) {
      for (const base of clause.types) {
        const property = checker.getTypeAtLocation(base).getProperty(name);
        if (property) return checker.getTypeOfSymbolAtLocation(property, base);
      }
    }
    return;
  };

  for (const source of program.getSourceFiles()) {
    if (source.isDeclarationFile || source.fileName.includes("node_modules")) continue;
    const text = source.getFullText();
    const report = (node: ts.Node, message: string) => {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
      findings.push({ file: path.relative(process.cwd(), source.fileName), line: line + 1, message });
    };
    // `for (…) void x;`: the comment above the loop speaks for its one-statement body.
    const isBodyOfStatement = (statement: ts.Statement) =>
      ts.isIterationStatement(statement.parent, false) || ts.isIfStatement(statement.parent);
    const commented = (node: ts.Node) => {
      for (let at: ts.Node | undefined = node; at && !ts.isSourceFile(at); at = at.parent) {
        const ranges = [
          ...(ts.getLeadingCommentRanges(text, at.getFullStart()) ?? []),
          ...(ts.getTrailingCommentRanges(text, at.getEnd()) ?? []),
        ];
        if (ranges.some((range) => range.end > range.pos + 2)) return true;
        if (ts.isStatement(at) && !isBodyOfStatement(at)) return false;
      }
      return false;
    };
    const waived = (node: ts.Node) => {
      for (let at: ts.Node | undefined = node; at && !ts.isSourceFile(at); at = at.parent) {
        const ranges = ts.getLeadingCommentRanges(text, at.getFullStart()) ?? [];
        if (ranges.some((range) => WAIVER.test(text.slice(range.pos, range.end)))) return true;
        if (ts.isStatement(at) && !isBodyOfStatement(at)) return false;
      }
      return false;
    };
    const handled = (call: ts.Expression) => {
      if (!ts.isCallExpression(call) || !ts.isPropertyAccessExpression(call.expression)) return false;
      const method = call.expression.name.text;
      return (method === "catch" && call.arguments.length >= 1) || (method === "then" && call.arguments.length >= 2);
    };
    const methodCalled = (call: ts.CallExpression) =>
      ts.isPropertyAccessExpression(call.expression) ? call.expression.name.text : undefined;
    const handedToCombinator = (node: ts.Node) => {
      let at = node.parent;
      while (ts.isParenthesizedExpression(at) || ts.isArrayLiteralExpression(at) || ts.isSpreadElement(at)) {
        at = at.parent;
      }
      if (!ts.isCallExpression(at) || !ts.isPropertyAccessExpression(at.expression)) return false;
      return at.expression.expression.getText(source) === "Promise" && PROMISE_COMBINATORS.has(at.expression.name.text);
    };
    const inBooleanContext = (node: ts.Expression): boolean => {
      let child: ts.Node = node;
      let parent = node.parent;
      while (ts.isParenthesizedExpression(parent)) {
        child = parent;
        parent = parent.parent;
      }
      if (ts.isIfStatement(parent) || ts.isWhileStatement(parent) || ts.isDoStatement(parent)) {
        return parent.expression === child;
      }
      if (ts.isForStatement(parent)) return parent.condition === child;
      if (ts.isConditionalExpression(parent)) return parent.condition === child;
      if (ts.isPrefixUnaryExpression(parent)) return parent.operator === ts.SyntaxKind.ExclamationToken;
      if (!ts.isBinaryExpression(parent)) return false;
      const operator = parent.operatorToken.kind;
      const logical = operator === ts.SyntaxKind.AmpersandAmpersandToken || operator === ts.SyntaxKind.BarBarToken;
      if (logical && parent.left === child) return true;
      const passesThrough = logical || operator === ts.SyntaxKind.QuestionQuestionToken;
      return passesThrough && parent.right === child && inBooleanContext(parent);
    };
    const awaitedExpect = (call: ts.CallExpression) => {
      const parent = call.parent;
      return ts.isPropertyAccessExpression(parent) && ["resolves", "rejects"].includes(parent.name.text);
    };

    const visit = (node: ts.Node): void => {
      if (ts.isExpressionStatement(node)) {
        let expression = node.expression;
        while (ts.isParenthesizedExpression(expression)) expression = expression.expression;
        if (ts.isVoidExpression(expression)) {
          // Reported wherever it is, below.
        } else if (
          !(
            ts.isBinaryExpression(expression) &&
            expression.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
            expression.operatorToken.kind <= ts.SyntaxKind.LastAssignment
          ) &&
          !handled(expression)
        ) {
          if (thenable(expression)) report(node, "promise dropped: await it (or `void` it with a comment saying why)");
          else if (arrayOfThenables(expression)) report(node, "array of promises dropped: await Promise.all(...)");
        }
      }

      if (ts.isExpression(node) && inBooleanContext(node) && alwaysThenable(node)) {
        report(node, "a promise used as a condition is always truthy");
      }

      if (ts.isVoidExpression(node) && thenable(node.expression) && !commented(node)) {
        report(node, "`void` drops a promise without a comment saying why its order does not matter");
      }

      if (ts.isTemplateSpan(node) && thenable(node.expression)) report(node, "a promise in a template string");
      if ((ts.isSpreadAssignment(node) || ts.isSpreadElement(node)) && thenable(node.expression)) {
        report(node, "a promise spread");
      }

      if (ts.isCallExpression(node)) {
        const method = methodCalled(node);
        const callback = node.arguments[0];
        const onArray =
          ts.isPropertyAccessExpression(node.expression) &&
          (checker.isArrayType(checker.getTypeAtLocation(node.expression.expression)) ||
            checker.isTupleType(checker.getTypeAtLocation(node.expression.expression)));
        if (onArray && callback && method && returnsThenable(callback)) {
          if (ARRAY_PREDICATES.has(method)) {
            report(node, `\`${method}\` with an async callback sees a promise, not its value`);
          } else if (ARRAY_MAPS.has(method) && !handedToCombinator(node) && !ts.isAwaitExpression(node.parent)) {
            report(node, `\`${method}\` with an async callback: hand the promises straight to Promise.all`);
          }
        }
        const isExpect = ts.isIdentifier(node.expression) && node.expression.text === "expect";
        // then/catch/finally wait for a promise their callback returns, whatever their types say.
        const chained =
          ts.isPropertyAccessExpression(node.expression) &&
          ["then", "catch", "finally"].includes(node.expression.name.text) &&
          thenable(node.expression.expression);
        node.arguments.forEach((argument, index) => {
          if (isExpect && index === 0 && thenable(argument) && !awaitedExpect(node)) {
            report(argument, "`expect` of a promise: await the value (or use .resolves/.rejects)");
          }
          const signature = checker.getResolvedSignature(node);
          const parameter = signature?.getParameters()[Math.min(index, signature.getParameters().length - 1)];
          if (!parameter) return;
          const parameterType = checker.getTypeOfSymbolAtLocation(parameter, node);
          if (expectsVoid(parameterType) && !chained && returnsThenable(argument) && !waived(argument)) {
            report(argument, "an async function where the callback's result is ignored: its rejection goes unhandled");
          }
        });
      }

      const functionValue =
        ts.isArrowFunction(node) ||
        ts.isFunctionExpression(node) ||
        ts.isIdentifier(node) ||
        ts.isMethodDeclaration(node);
      if (
        functionValue &&
        !(node.parent && ts.isCallExpression(node.parent) && node.parent.arguments.some((a) => a === node))
      ) {
        const contract = ts.isMethodDeclaration(node) ? declaredContract(node) : contextualFunction(node);
        if (contract && expectsVoid(contract) && returnsThenable(node as ts.Expression) && !waived(node)) {
          report(node, "an async function where a void one is expected: whoever calls it will not await it");
        }
      }

      // `log.info({ request: store.requests.get(id) })`: a field any value fits, so nobody notices.
      if (
        ts.isExpression(node) &&
        ts.isPropertyAssignment(node.parent) &&
        node.parent.initializer === node &&
        checker.getContextualType(node.parent.parent) &&
        thenable(node)
      ) {
        const contextual = checker.getContextualType(node);
        if (!contextual || contextual.flags & (ts.TypeFlags.Unknown | ts.TypeFlags.Any)) {
          report(node, "a promise given where any value will do");
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return findings;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const findings = findFloatingPromises(path.resolve(process.argv[2] ?? "tsconfig.json"));
  for (const finding of findings) console.log(`${finding.file}:${finding.line}: ${finding.message}`);
  if (findings.length > 0) {
    console.log(`${findings.length} floating promise(s)`);
    process.exitCode = 1;
  }
}
