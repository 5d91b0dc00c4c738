/**
 * The conditions of Argo Rollouts metrics (`successCondition`, `failureCondition`) are expr-lang
 * expressions (github.com/antonmedv/expr v1.15, utils/evaluate/evaluate.go, EvalCondition) over
 * `result` with the functions `asInt`, `asFloat`, `isNaN`, `isInf`, `isNil`, `default` and
 * expr's own built-ins. This evaluates the part of the language conditions use: literals, `result`
 * and its indexes and fields, arithmetic, comparison, `&&`/`and`, `||`/`or`, `!`/`not`, `in`,
 * `?:`, `??`, and the functions len, abs, min, max, isNaN, isInf, asInt, asFloat, isNil, default,
 * all, any, none, one, filter, map, count (closures with `#`). Anything else is reported as outside
 * what the rehearsal evaluates, never guessed.
 */

/** A condition uses something the rehearsal does not evaluate (a construct or function of expr it lacks). */
export class UnsupportedExpression extends Error {}

/** expr itself rejects the condition or fails at run time (Argo marks the measurement Error). */
export class ExpressionError extends Error {}

type Token = { kind: 'num' | 'str' | 'id' | 'op' | 'eof'; value: string };

const OPERATORS = ['&&', '||', '|', '==', '!=', '<=', '>=', '**', '??', '..', '?.', '<', '>', '+', '-', '*', '/', '%', '^', '!', '(', ')', '[', ']', '{', '}', ',', '.', '?', ':', '#', '=', ';'];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const number = text.slice(i).match(/^(\d[\d_]*(\.\d[\d_]*)?([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)/);
    if (number && !(c === '.' && tokens.length > 0 && (tokens[tokens.length - 1].kind === 'id' || tokens[tokens.length - 1].value === ']' || tokens[tokens.length - 1].value === ')'))) {
      tokens.push({ kind: 'num', value: number[0].replace(/_/g, '') });
      i += number[0].length;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\' && c !== '`') {
          j++;
          value += ({ n: '\n', t: '\t', r: '\r' } as { [k: string]: string })[text[j]] ?? text[j];
        } else {
          value += text[j];
        }
        j++;
      }
      if (j >= text.length) throw new ExpressionError(`literal not terminated in '${text}'`);
      tokens.push({ kind: 'str', value });
      i = j + 1;
      continue;
    }
    const word = text.slice(i).match(/^[A-Za-z_$][A-Za-z0-9_$]*/);
    if (word) {
      tokens.push({ kind: 'id', value: word[0] });
      i += word[0].length;
      continue;
    }
    const op = [...OPERATORS].sort((a, b) => b.length - a.length).find((o) => text.startsWith(o, i));
    if (!op) throw new ExpressionError(`unexpected character '${c}' in '${text}'`);
    tokens.push({ kind: 'op', value: op });
    i += op.length;
  }
  tokens.push({ kind: 'eof', value: '' });
  return tokens;
}

type Node =
  | { type: 'literal'; value: any }
  | { type: 'name'; name: string }
  | { type: 'pointer' }
  | { type: 'unary'; op: string; operand: Node }
  | { type: 'binary'; op: string; left: Node; right: Node }
  | { type: 'member'; object: Node; property: Node; optional: boolean }
  | { type: 'call'; callee: string; args: Node[] }
  | { type: 'closure'; body: Node }
  | { type: 'conditional'; test: Node; then: Node; otherwise: Node }
  | { type: 'array'; items: Node[] };

/** Binding powers, lowest first (expr's parser/operator precedence). */
const BINARY: { [op: string]: number } = {
  '??': 1,
  '||': 2,
  'or': 2,
  '&&': 3,
  'and': 3,
  '==': 4,
  '!=': 4,
  '<': 4,
  '>': 4,
  '<=': 4,
  '>=': 4,
  'in': 4,
  'matches': 4,
  'contains': 4,
  'startsWith': 4,
  'endsWith': 4,
  '..': 5,
  '+': 6,
  '-': 6,
  '*': 7,
  '/': 7,
  '%': 7,
  '**': 8,
  '^': 8,
};
const UNSUPPORTED_OPERATORS = new Set(['matches', '..']);

class Parser {
  private position = 0;
  constructor(private readonly tokens: Token[], private readonly text: string) {}

  private peek(): Token {
    return this.tokens[this.position];
  }

  private next(): Token {
    return this.tokens[this.position++];
  }

  private expect(value: string): void {
    const token = this.next();
    if (token.value !== value) throw new ExpressionError(`expected '${value}' but found '${token.value || 'end'}' in '${this.text}'`);
  }

  public parseAll(): Node {
    const node = this.expression(0);
    if (this.peek().kind !== 'eof') throw new ExpressionError(`unexpected token '${this.peek().value}' in '${this.text}'`);
    return node;
  }

  private binaryOperator(): string | undefined {
    const token = this.peek();
    if (token.kind === 'op' && BINARY[token.value] !== undefined) return token.value;
    if (token.kind === 'id' && BINARY[token.value] !== undefined) return token.value;
    if (token.kind === 'id' && token.value === 'not' && this.tokens[this.position + 1]?.value === 'in') return 'not in';
    return undefined;
  }

  private expression(minPower: number): Node {
    let left = this.unary();
    for (;;) {
      if (this.peek().value === '?' && minPower === 0) {
        this.next();
        const then = this.expression(0);
        this.expect(':');
        const otherwise = this.expression(0);
        left = { type: 'conditional', test: left, then, otherwise };
        continue;
      }
      const op = this.binaryOperator();
      if (op === undefined) return left;
      const power = op === 'not in' ? BINARY.in : BINARY[op];
      if (power <= minPower && !(power === minPower && (op === '**' || op === '^'))) return left;
      if (UNSUPPORTED_OPERATORS.has(op)) throw new UnsupportedExpression(`the operator '${op}'`);
      this.next();
      if (op === 'not in') this.next();
      const right = this.expression(op === '**' || op === '^' ? power - 1 : power);
      left = { type: 'binary', op, left, right };
    }
  }

  private unary(): Node {
    const token = this.peek();
    if ((token.kind === 'op' && (token.value === '!' || token.value === '-' || token.value === '+')) || (token.kind === 'id' && token.value === 'not')) {
      this.next();
      return { type: 'unary', op: token.value === 'not' ? '!' : token.value, operand: this.expression(BINARY['**'] - 1) };
    }
    return this.postfix(this.primary());
  }

  private primary(): Node {
    const token = this.next();
    if (token.kind === 'num') return { type: 'literal', value: Number(token.value) };
    if (token.kind === 'str') return { type: 'literal', value: token.value };
    if (token.kind === 'op' && token.value === '(') {
      const inner = this.expression(0);
      this.expect(')');
      return inner;
    }
    if (token.kind === 'op' && token.value === '[') {
      const items: Node[] = [];
      while (this.peek().value !== ']') {
        items.push(this.expression(0));
        if (this.peek().value === ',') this.next();
        else break;
      }
      this.expect(']');
      return { type: 'array', items };
    }
    if (token.kind === 'op' && token.value === '#') return { type: 'pointer' };
    if (token.kind === 'op' && token.value === '{') throw new UnsupportedExpression('map literals');
    if (token.kind === 'id') {
      if (token.value === 'true' || token.value === 'false') return { type: 'literal', value: token.value === 'true' };
      if (token.value === 'nil') return { type: 'literal', value: null };
      if (token.value === 'let') throw new UnsupportedExpression("'let'");
      if (this.peek().value === '(') {
        this.next();
        const args: Node[] = [];
        while (this.peek().value !== ')') {
          if (this.peek().value === '{') {
            this.next();
            args.push({ type: 'closure', body: this.expression(0) });
            this.expect('}');
          } else {
            const arg = this.expression(0);
            // A predicate without braces (`all(result, # > 0.9)`) is a closure too.
            args.push(args.length > 0 && usesPointer(arg) ? { type: 'closure', body: arg } : arg);
          }
          if (this.peek().value === ',') this.next();
          else break;
        }
        this.expect(')');
        return { type: 'call', callee: token.value, args };
      }
      return { type: 'name', name: token.value };
    }
    throw new ExpressionError(`unexpected token '${token.value || 'end'}' in '${this.text}'`);
  }

  private postfix(start: Node): Node {
    let node = start;
    for (;;) {
      const token = this.peek();
      if (token.value === '.' || token.value === '?.') {
        this.next();
        const name = this.next();
        if (name.kind !== 'id') throw new ExpressionError(`expected a field name in '${this.text}'`);
        if (this.peek().value === '(') throw new UnsupportedExpression('method calls');
        node = { type: 'member', object: node, property: { type: 'literal', value: name.value }, optional: token.value === '?.' };
      } else if (token.value === '[') {
        this.next();
        if (this.peek().value === ':') throw new UnsupportedExpression('slices');
        const index = this.expression(0);
        if (this.peek().value === ':') throw new UnsupportedExpression('slices');
        this.expect(']');
        node = { type: 'member', object: node, property: index, optional: false };
      } else if (token.value === '|') {
        throw new UnsupportedExpression('pipes');
      } else {
        return node;
      }
    }
  }
}

function usesPointer(node: Node): boolean {
  switch (node.type) {
    case 'pointer': return true;
    case 'unary': return usesPointer(node.operand);
    case 'binary': return usesPointer(node.left) || usesPointer(node.right);
    case 'member': return usesPointer(node.object) || usesPointer(node.property);
    case 'conditional': return usesPointer(node.test) || usesPointer(node.then) || usesPointer(node.otherwise);
    case 'array': return node.items.some(usesPointer);
    default: return false;
  }
}

function typeName(value: any): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return '[]interface {}';
  if (typeof value === 'number') return 'float64';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  return 'map[string]interface {}';
}

function truthy(value: any, where: string): boolean {
  if (typeof value !== 'boolean') throw new ExpressionError(`invalid operation: ${where} (non-bool ${typeName(value)})`);
  return value;
}

function compare(op: string, left: any, right: any): boolean {
  if (typeof left === 'number' && typeof right === 'number') {
    switch (op) {
      case '<': return left < right;
      case '>': return left > right;
      case '<=': return left <= right;
      default: return left >= right;
    }
  }
  if (typeof left === 'string' && typeof right === 'string') {
    switch (op) {
      case '<': return left < right;
      case '>': return left > right;
      case '<=': return left <= right;
      default: return left >= right;
    }
  }
  throw new ExpressionError(`invalid operation: ${op} (mismatched types ${typeName(left)} and ${typeName(right)})`);
}

function equal(left: any, right: any): boolean {
  if (Array.isArray(left) || Array.isArray(right)) return JSON.stringify(left) === JSON.stringify(right);
  return (left ?? null) === (right ?? null);
}

function arithmetic(op: string, left: any, right: any): any {
  if (op === '+' && typeof left === 'string' && typeof right === 'string') return left + right;
  if (typeof left !== 'number' || typeof right !== 'number') {
    throw new ExpressionError(`invalid operation: ${op} (mismatched types ${typeName(left)} and ${typeName(right)})`);
  }
  switch (op) {
    case '+': return left + right;
    case '-': return left - right;
    case '*': return left * right;
    case '/': return left / right;
    case '%':
      if (!Number.isInteger(left) || !Number.isInteger(right)) throw new ExpressionError('invalid operation: % (operands must be integers)');
      if (right === 0) throw new ExpressionError('integer divide by zero');
      return left % right;
    default: return left ** right;
  }
}

function evaluate(node: Node, env: { [name: string]: any }, pointer: any): any {
  switch (node.type) {
    case 'literal': return node.value;
    case 'pointer': return pointer;
    case 'name':
      if (!(node.name in env)) throw new ExpressionError(`unknown name ${node.name}`);
      return env[node.name];
    case 'array': return node.items.map((item) => evaluate(item, env, pointer));
    case 'conditional':
      return truthy(evaluate(node.test, env, pointer), '?:') ? evaluate(node.then, env, pointer) : evaluate(node.otherwise, env, pointer);
    case 'unary': {
      const value = evaluate(node.operand, env, pointer);
      if (node.op === '!') return !truthy(value, '!');
      if (typeof value !== 'number') throw new ExpressionError(`invalid operation: ${node.op} (mismatched type ${typeName(value)})`);
      return node.op === '-' ? -value : value;
    }
    case 'binary': {
      if (node.op === '&&' || node.op === 'and') return truthy(evaluate(node.left, env, pointer), node.op) && truthy(evaluate(node.right, env, pointer), node.op);
      if (node.op === '||' || node.op === 'or') return truthy(evaluate(node.left, env, pointer), node.op) || truthy(evaluate(node.right, env, pointer), node.op);
      if (node.op === '??') {
        const left = evaluate(node.left, env, pointer);
        return left === null || left === undefined ? evaluate(node.right, env, pointer) : left;
      }
      const left = evaluate(node.left, env, pointer);
      const right = evaluate(node.right, env, pointer);
      switch (node.op) {
        case '==': return equal(left, right);
        case '!=': return !equal(left, right);
        case '<': case '>': case '<=': case '>=': return compare(node.op, left, right);
        case 'in': case 'not in': {
          let found: boolean;
          if (Array.isArray(right)) found = right.some((item) => equal(item, left));
          else if (right !== null && typeof right === 'object') found = Object.prototype.hasOwnProperty.call(right, left);
          else throw new ExpressionError(`invalid operation: in (mismatched types ${typeName(left)} and ${typeName(right)})`);
          return node.op === 'in' ? found : !found;
        }
        case 'contains': case 'startsWith': case 'endsWith': {
          if (typeof left !== 'string' || typeof right !== 'string') throw new ExpressionError(`invalid operation: ${node.op} (mismatched types ${typeName(left)} and ${typeName(right)})`);
          return node.op === 'contains' ? left.includes(right) : node.op === 'startsWith' ? left.startsWith(right) : left.endsWith(right);
        }
        default: return arithmetic(node.op, left, right);
      }
    }
    case 'member': {
      const object = evaluate(node.object, env, pointer);
      const property = evaluate(node.property, env, pointer);
      if (object === null || object === undefined) {
        if (node.optional) return null;
        throw new ExpressionError(`cannot fetch ${property} from <nil>`);
      }
      if (Array.isArray(object)) {
        if (typeof property !== 'number' || !Number.isInteger(property)) throw new ExpressionError(`cannot use ${typeName(property)} as index to ${typeName(object)}`);
        const index = property < 0 ? object.length + property : property;
        if (index < 0 || index >= object.length) throw new ExpressionError(`index out of range: ${property} (array length is ${object.length})`);
        return object[index];
      }
      if (typeof object === 'object') return object[property] ?? null;
      throw new ExpressionError(`type ${typeName(object)} has no field ${property}`);
    }
    case 'call': return call(node, env, pointer);
    case 'closure': throw new ExpressionError('a closure outside a built-in');
  }
}

function call(node: Extract<Node, { type: 'call' }>, env: { [name: string]: any }, pointer: any): any {
  const args = () => node.args.map((arg) => evaluate(arg, env, pointer));
  const number = (value: any, fn: string): number => {
    if (typeof value !== 'number') throw new ExpressionError(`invalid argument for ${fn} (type ${typeName(value)})`);
    return value;
  };
  switch (node.callee) {
    case 'len': {
      const [value] = args();
      if (Array.isArray(value) || typeof value === 'string') return value.length;
      if (value !== null && typeof value === 'object') return Object.keys(value).length;
      throw new ExpressionError(`invalid argument for len (type ${typeName(value)})`);
    }
    case 'abs': return Math.abs(number(args()[0], 'abs'));
    case 'min': case 'max': {
      const values = args().flat().map((v) => number(v, node.callee));
      if (values.length === 0) throw new ExpressionError(`not enough arguments to call ${node.callee}`);
      return node.callee === 'min' ? Math.min(...values) : Math.max(...values);
    }
    case 'isNaN': return Number.isNaN(number(args()[0], 'isNaN'));
    case 'isInf': {
      const value = number(args()[0], 'isInf');
      return value === Infinity || value === -Infinity;
    }
    case 'asFloat': case 'asInt': {
      const [value] = args();
      let n: number;
      if (typeof value === 'number') n = value;
      else if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) n = Number(value);
      else throw new ExpressionError(`${node.callee}() not supported on ${typeName(value)} ${value}`);
      return node.callee === 'asInt' ? Math.trunc(n) : n;
    }
    case 'isNil': return env.result === null || env.result === undefined;
    case 'default': {
      const values = args();
      return env.result === null || env.result === undefined ? values[1] : env.result;
    }
    case 'all': case 'any': case 'none': case 'one': case 'filter': case 'map': case 'count': {
      const [collection, predicate] = node.args;
      const items = evaluate(collection, env, pointer);
      if (!Array.isArray(items)) throw new ExpressionError(`builtin ${node.callee} takes only array (got ${typeName(items)})`);
      if (!predicate) throw new ExpressionError(`not enough arguments to call ${node.callee}`);
      const body = predicate.type === 'closure' ? predicate.body : predicate;
      const results = items.map((item) => evaluate(body, env, item));
      const flags = () => results.map((r) => truthy(r, node.callee));
      switch (node.callee) {
        case 'all': return flags().every(Boolean);
        case 'any': return flags().some(Boolean);
        case 'none': return !flags().some(Boolean);
        case 'one': return flags().filter(Boolean).length === 1;
        case 'filter': return items.filter((_, i) => flags()[i]);
        case 'count': return flags().filter(Boolean).length;
        default: return results;
      }
    }
    default:
      throw new UnsupportedExpression(`the function '${node.callee}'`);
  }
}

const FUNCTIONS = new Set(['len', 'abs', 'min', 'max', 'isNaN', 'isInf', 'asFloat', 'asInt', 'isNil', 'default', 'all', 'any', 'none', 'one', 'filter', 'map', 'count']);

/** Rejects, before any evaluation, the functions the rehearsal does not evaluate. */
function checkFunctions(node: Node): void {
  switch (node.type) {
    case 'call':
      if (!FUNCTIONS.has(node.callee)) throw new UnsupportedExpression(`the function '${node.callee}'`);
      node.args.forEach(checkFunctions);
      return;
    case 'unary': return checkFunctions(node.operand);
    case 'binary': checkFunctions(node.left); return checkFunctions(node.right);
    case 'member': checkFunctions(node.object); return checkFunctions(node.property);
    case 'closure': return checkFunctions(node.body);
    case 'conditional': checkFunctions(node.test); checkFunctions(node.then); return checkFunctions(node.otherwise);
    case 'array': return node.items.forEach(checkFunctions);
    default:
  }
}

/** Parses a condition; throws UnsupportedExpression for what the rehearsal does not evaluate, ExpressionError for what expr rejects. */
export function compileCondition(condition: string): (result: any) => boolean {
  const ast = new Parser(tokenize(condition), condition).parseAll();
  checkFunctions(ast);
  return (result: any) => {
    const value = evaluate(ast, { result }, undefined);
    if (typeof value !== 'boolean') throw new ExpressionError(`expected bool, but got ${typeName(value)}`);
    return value;
  };
}
