/**
 * "New customer": asks for the name and the email, confirms, and creates the customer. When the email
 * is already taken (409) it says so and shows the existing customer instead.
 */
import type { TurnContext } from 'botbuilder';
import { parseCustomerEmail, parseCustomerName } from '../src/validation/ticketFields';
import { isConflict } from '../src/gorgias/client';
import { confirmNewCustomer, customerAlreadyExists, customerCreated, customerCreatedOnEarlierTry } from '../src/messages/tickets';
import { findCustomerFromEarlierAttempt } from '../src/gorgias/earlierCreate';
import type { ConnectedProfile } from '../src/profile/profile';
import { busyNotice, noteWrite, type ActionServices } from './actionSupport';
import { ConfirmThenCreateDialog, type DraftOptions, type FailedCreate } from './confirmThenCreateDialog';
import { showCustomer } from './findCustomer';
import { sendNow } from '../src/heldReplies';

export const NEW_CUSTOMER_DIALOG = 'newCustomer';
const NAME_PROMPT = 'newCustomer.name';
const EMAIL_PROMPT = 'newCustomer.email';

export interface NewCustomerOptions extends DraftOptions {
  name?: string;
  email?: string;
}

export class NewCustomerDialog extends ConfirmThenCreateDialog<NewCustomerOptions> {
  protected readonly createdKind = 'customer';

  /**
   * @param showExisting whether a taken email may show the existing customer and their tickets: only
   * when "find customer" is enabled too, or creating a customer would become a way around its being off.
   */
  constructor(
    services: ActionServices,
    private readonly showExisting: boolean,
  ) {
    super(
      NEW_CUSTOMER_DIALOG,
      services,
      [
        {
          field: 'name',
          promptId: NAME_PROMPT,
          ask: "What is the customer's name?",
          parse: parseCustomerName,
          help: "Type the customer's full name as agents should see it, e.g. Jane Doe.",
        },
        {
          field: 'email',
          promptId: EMAIL_PROMPT,
          ask: "What is the customer's email address?",
          parse: parseCustomerEmail,
          freeText: false,
          help: "Type the customer's email address, e.g. jane@example.com. Gorgias allows one customer per email.",
        },
      ],
      {
        cancelled: 'OK, cancelled: no customer was created.',
        confirmHelp: 'Answer **yes** to create the customer in Gorgias, or **no** to drop it.',
        retryQuestion: 'What you typed is kept. Do you want to try again?',
        retryHelp:
          'Choose **Try again** to send the same customer to Gorgias again (when Gorgias never answered, I first check whether it made them already), or **Cancel** to drop it.',
      },
    );
  }

  protected async confirmation(_context: TurnContext, options: NewCustomerOptions): Promise<string> {
    return confirmNewCustomer(options.name as string, options.email as string);
  }

  protected async create(context: TurnContext, profile: ConnectedProfile, options: NewCustomerOptions): Promise<FailedCreate | undefined> {
    const name = options.name as string;
    const email = options.email as string;
    const result = await this.services.gorgias.createCustomer(profile, { name, email }, busyNotice(context));
    noteWrite(context, result);
    if (result.ok) {
      await sendNow(context, customerCreated(result.value));
      return undefined;
    }
    if (!isConflict(result.failure)) return { failure: result.failure, topic: { kind: 'customer', email } };
    const existing = this.showExisting ? await this.services.gorgias.findCustomerByEmail(profile, email, busyNotice(context)) : undefined;
    if (existing?.ok && existing.value) {
      await showCustomer(this.services, context, profile, existing.value, `find customer ${email}`, customerAlreadyExists(email));
    } else {
      await sendNow(context, customerAlreadyExists(email).replace(/ Here it is:$/, ''));
    }
    return undefined;
  }

  protected async showEarlierTry(
    context: TurnContext,
    profile: ConnectedProfile,
    options: NewCustomerOptions,
    since: string,
  ): Promise<'shown' | 'not_made' | FailedCreate> {
    const email = options.email as string;
    const customer = { name: options.name as string, email };
    const found = await findCustomerFromEarlierAttempt(this.services.gorgias, profile, customer, since, busyNotice(context));
    if (!found.ok) return { failure: found.failure, topic: { kind: 'customer', email } };
    if (found.value === undefined) return 'not_made';
    await sendNow(context, customerCreatedOnEarlierTry(found.value));
    return 'shown';
  }
}
